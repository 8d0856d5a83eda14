import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLedger, type LedgerState } from '@imk/ledger';
import { servedTempRoot } from './helpers.ts';

// The dashboard joins the ledger (times written by the worker's host) with the queue folders (times of the
// file server). It chose between them by comparing the two clocks, with a 1-s margin: with a worker a day
// ahead of the file server, a job moved back to ready/ after failing still showed "failed"; a day behind,
// a running job showed "claimed" and a retrying one "ready", without why it retries.
const served = servedTempRoot();

interface Summary {
  job_id: string;
  state: string;
  last_error: string | null;
}

/** A job folder in queue `other`, in `sub` (ready: the top of the queue), made now on the file system. */
async function folder(jobId: string, sub?: string): Promise<void> {
  const dir = join(served.root, 'queues', 'other', ...(sub ? [sub, `job_${jobId}@w1.n1`] : [`job_${jobId}`]));
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({ job_id: jobId, source_type: 'local', title: jobId, audio_path: 'audio.wav' }),
  );
}

describe.each([
  ['a day ahead of', 86_400_000],
  ['a day behind', -86_400_000],
])('a ledger written by a worker %s the file server', (_, offset) => {
  it('shows the state that fits where each job is, whatever the two clocks say', async () => {
    const p = offset > 0 ? 'a' : 'b';
    const ledger = openLedger({ root: served.root });
    const say = (id: string, state: LedgerState, message?: string) =>
      ledger.recordState(
        `${p}${id}`,
        {
          state,
          attempt: 1,
          consumer: 'w1',
          ...(message && { message }),
          at: new Date(Date.now() + offset).toISOString(),
        },
        { queue: 'other' },
      );
    // The worker's word, each before the folder's last move (the folder is moved first, then recorded).
    say('requeued', 'running');
    say('requeued', 'failed', 'boom');
    say('retrying', 'running');
    say('retrying', 'retrying', 'network down; will retry');
    say('running', 'running');
    say('done', 'running');
    say('done', 'succeeded');
    ledger.close();
    await folder(`${p}requeued`); // moved back to ready/ since (imk retry where the ledger was not open)
    await folder(`${p}retrying`); // given back to ready/ to retry
    await folder(`${p}running`, 'claimed');
    await folder(`${p}done`, 'succeeded');

    const expected = {
      [`${p}requeued`]: 'ready',
      [`${p}retrying`]: 'retrying',
      [`${p}running`]: 'running',
      [`${p}done`]: 'succeeded',
    };
    const why = 'network down; will retry';
    const list = (await (await fetch(`${served.web.url}/api/jobs`)).json()) as Summary[];
    const listed = list.filter((j) => j.job_id in expected);
    expect(Object.fromEntries(listed.map((j) => [j.job_id, j.state]))).toEqual(expected);
    expect(listed.find((j) => j.job_id === `${p}retrying`)?.last_error).toBe(why);
    const details: Record<string, string> = {};
    for (const id of Object.keys(expected)) {
      const { summary } = (await (await fetch(`${served.web.url}/api/jobs/${id}`)).json()) as {
        summary: Summary;
      };
      details[id] = summary.state;
      if (id === `${p}retrying`) expect(summary.last_error).toBe(why);
    }
    expect(details).toEqual(expected);
  });
});
