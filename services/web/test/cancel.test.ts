// POST /api/jobs/:id/cancel over real HTTP, with real queue folders and a real fsqueue consumer holding
// the running job (the worker's side of a cancel is tested with a real worker process in
// services/instrumental-maker/test/cancel.test.ts).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, publishBundle, type Queue } from '@imk/fsqueue';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeAudio, quietLogger, tempRoot } from './helpers.ts';

const TOKEN = 'test-token-cancel-0123456789';
let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
let queue: Queue;
const stop = new AbortController();

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  const audio = join(root, 'audio.wav');
  await makeAudio(audio, 1);
  for (const id of ['running_job', 'queued_job', 'done_job'])
    await publishBundle({
      queueDir: join(root, 'queues', 'other'),
      job: { job_id: id, source_type: 'local', title: id, audio_path: 'audio.wav' },
      files: [{ name: 'audio.wav', source: audio }],
    });
  web = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    overrides: { port: 0, token: TOKEN },
  });
  queue = createQueue({ queueDir: join(root, 'queues', 'other'), watch: false, leaseMs: 3000 });
});

afterAll(async () => {
  await queue.close();
  stop.abort();
  await web.closed;
  await cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };
const cancel = (id: string, body: unknown = {}, headers: Record<string, string> = json) =>
  fetch(`${web.url}/api/jobs/${id}/cancel`, { method: 'POST', headers, body: JSON.stringify(body) });
const detail = async (id: string) =>
  (await (await fetch(`${web.url}/api/jobs/${id}`, { headers: auth })).json()) as {
    summary: { state: string; last_error: string | null; title: string | null };
    ledger?: { events: { state: string; message: string | null }[] };
    canCancel: boolean;
    canRetry: boolean;
    folderError?: { reason?: string; requested_by?: string };
  };

describe('cancel from the dashboard', () => {
  it('wants the token like every other API route', async () => {
    const response = await cancel('queued_job', {}, { 'content-type': 'application/json' });
    expect(response.status).toBe(401);
    expect(await readdir(join(root, 'queues', 'other'))).toContain('job_queued_job');
  });

  it('archives a queued job at once, with the reason, and Retry brings it back', async () => {
    // Claim order is FIFO: the first published job is the one a worker holds.
    const running = (await queue.claim())!;
    expect(running.jobId).toBe('running_job');
    expect(await detail('queued_job')).toMatchObject({ summary: { state: 'ready' }, canCancel: true });
    const response = await cancel('queued_job', { reason: 'queued by mistake' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ok: true, job_id: 'queued_job', state: 'cancelled' });
    const after = await detail('queued_job');
    expect(after).toMatchObject({ summary: { state: 'cancelled' }, canCancel: false, canRetry: true });
    expect(after.folderError).toMatchObject({ reason: 'queued by mistake', requested_by: 'dashboard' });
    const kept = join(root, 'queues', 'other', 'cancelled', 'job_queued_job');
    expect(JSON.parse(await readFile(join(kept, 'imk-cancel.json'), 'utf8'))).toMatchObject({ was: 'ready' });
    // Its history says it in the words imk cancel uses (imk-cancel.json's line, and where it is kept), not
    // a line of the dashboard's own ("cancelled from the dashboard before it started: …" without the
    // folder); the job list's last word is the cancel, and the song is named.
    const said = `cancelled by dashboard before it started: queued by mistake (${kept})`;
    expect(after.ledger?.events.at(-1)).toMatchObject({ state: 'cancelled', message: said });
    expect(after.summary).toMatchObject({ last_error: said, title: 'queued_job' });

    const retried = await fetch(`${web.url}/api/jobs/queued_job/retry`, { method: 'POST', headers: auth });
    expect(retried.status).toBe(200);
    expect((await detail('queued_job')).summary.state).toBe('ready');

    // A running job: its holder is asked (202), notices, stops, and archives it as cancelled.
    expect((await detail('running_job')).canCancel).toBe(true);
    const asked = await cancel('running_job', { reason: 'wrong song' });
    expect(asked.status).toBe(202);
    expect(await asked.json()).toMatchObject({ state: 'cancel-requested' });
    await expect.poll(() => running.cancelRequested(), { timeout: 5000, interval: 50 }).toBe(true);
    await running.cancel('separate');
    await expect
      .poll(async () => (await detail('running_job')).summary.state, { timeout: 5000 })
      .toBe('cancelled');
  });

  it('refuses a finished job and an unknown one, naming the job', async () => {
    let claim = await queue.claim();
    while (claim && claim.jobId !== 'done_job') {
      await claim.release();
      claim = await queue.claim();
    }
    await claim!.complete();
    const finished = await cancel('done_job');
    expect(finished.status).toBe(409);
    expect(await finished.json()).toMatchObject({
      error: 'JOB_NOT_CANCELLABLE',
      message: expect.stringMatching(/^job done_job has succeeded already .*only a ready or running job/),
    });
    const unknown = await cancel('no_such_job');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/no job no_such_job/);
    const bad = await cancel('queued_job', { reason: 42 });
    expect(bad.status).toBe(400);
  });
});
