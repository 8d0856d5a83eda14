import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { makeAudio, servedTempRoot } from './helpers.ts';

// A job waiting for another program to finish its outputs folder sits in its queue's ready/ between two
// looks, and another worker (another host) may move it there and back at any time. The dashboard took the
// newer folder for the truth and said "ready", dropping what the job waits for and until when.
const served = servedTempRoot();

describe('a job waiting for another writer of its outputs folder', () => {
  it('shows as waiting, with what it waits for and until when, in one line of history', async () => {
    const line = (looks: number) =>
      `waiting for another program (the earlier instrumental-maker?) to finish writing outputs/busy/ since 2026-12-05 15:00:00 UTC, gives up at 2026-12-06 15:00:00 UTC (retry.maxWaitMs); looked ${looks} times`;
    const ledger = openLedger({ root: served.root });
    const earlier = (s: number) => new Date(Date.now() - s * 1000).toISOString();
    ledger.recordState('busy', { state: 'running', attempt: 1, at: earlier(60) }, { queue: 'other' });
    for (let looks = 1; looks <= 3; looks++)
      ledger.recordState('busy', { state: 'waiting', attempt: 1, message: line(looks), at: earlier(30) });
    ledger.close();
    // The ready folder, moved back there after the ledger's last word (by this or another worker).
    const dir = join(served.root, 'queues', 'other', 'job_busy');
    await mkdir(dir, { recursive: true });
    await makeAudio(join(dir, 'audio.wav'), 1);
    await writeFile(
      join(dir, 'job.json'),
      JSON.stringify({ job_id: 'busy', source_type: 'local', title: 'Busy', audio_path: 'audio.wav' }),
    );
    const detail = (await (await fetch(`${served.web.url}/api/jobs/busy`)).json()) as {
      summary: { state: string; last_error: string | null };
      ledger: { events: { state: string; message: string | null }[] };
    };
    expect(detail.summary.state).toBe('waiting');
    expect(detail.summary.last_error).toBe(line(3));
    expect(detail.ledger.events.map((e) => [e.state, e.message])).toEqual([
      ['running', null],
      ['waiting', line(3)],
    ]);
  });
});
