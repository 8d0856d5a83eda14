import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { sineFile } from '@imk/media/testing';
import { imkInProcess } from './in-process.ts';

describe('imk cancel of a queued job', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-cancel-reason-'));
    await sineFile(join(root, 'song.wav'), { channels: 1 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('records who cancelled it and the reason given, which imk job shows', async () => {
    // docs/instrumental-maker.md: "imk job <id> and the dashboard show cancelled with the reason". A job
    // cancelled by imk cancel before it started had the history line "cancelled by imk cancel before it
    // started (<folder>)": the reason, kept in imk-cancel.json, was not in the ledger.
    const enqueued = await imkInProcess(
      'enqueue',
      join(root, 'song.wav'),
      '--artist',
      'A',
      '--title',
      'B',
      '--root',
      root,
    );
    const id = enqueued.stdout.trim();
    const cancelled = await imkInProcess('cancel', id, '--reason', 'queued by mistake', '--root', root);
    expect(cancelled.exitCode, cancelled.stdout).toBe(0);
    expect(cancelled.stdout).toContain('it is cancelled and kept in');

    const shown = await imkInProcess('job', id, '--root', root);
    expect(shown.stdout).toMatch(
      /cancelled +cancelled by imk cancel before it started: queued by mistake \(/,
    );

    const json = await imkInProcess('job', id, '--json', '--root', root);
    const detail = JSON.parse(json.stdout) as {
      job: { state: string };
      events: { state: string; message: string }[];
    };
    expect(detail.job.state).toBe('cancelled');
    expect(detail.events.at(-1)?.message).toContain('queued by mistake');
  }, 60_000);

  it("shows the cancel and its reason as the job's last word in imk jobs, and the song in imk job", async () => {
    // A job that had failed once (a retry waiting its backoff in the queue) and was then cancelled: imk jobs
    // showed the old failure in LAST ERROR, as if that were why it stopped, and imk job said "(no tags)"
    // for a job cancelled before any worker read its job.json.
    const enqueued = await imkInProcess(
      'enqueue',
      join(root, 'song.wav'),
      '--artist',
      'Band',
      '--title',
      'Cancelled Song',
      '--root',
      root,
    );
    const id = enqueued.stdout.trim();
    // What a worker's first attempt wrote to the ledger before it gave the job back for a retry.
    const ledger = openLedger({ root });
    ledger.recordState(
      id,
      { state: 'running', attempt: 1, consumer: 'w1', stage: 'separate' },
      { queue: 'other' },
    );
    ledger.recordError(id, { stage: 'separate', message: 'engine crashed', attempt: 1, retryable: true });
    ledger.recordState(id, { state: 'retrying', attempt: 1, stage: 'separate', message: 'engine crashed' });
    ledger.close();
    const cancelled = await imkInProcess('cancel', id, '--reason', 'wrong song', '--root', root);
    expect(cancelled.exitCode, cancelled.stdout).toBe(0);

    const listed = await imkInProcess('jobs', '--root', root);
    const row = listed.stdout.split('\n').find((line) => line.startsWith(`${id} `));
    expect(row).toMatch(
      / cancelled .*Band - Cancelled Song +cancelled by imk cancel before it started: wrong song/,
    );
    expect(row).not.toContain('engine crashed');
    const json = JSON.parse((await imkInProcess('jobs', '--json', '--root', root)).stdout) as {
      job_id: string;
      last_error: string;
    }[];
    expect(json.find((j) => j.job_id === id)?.last_error).toMatch(
      /^cancelled by imk cancel before it started: wrong song \(/,
    );

    const shown = await imkInProcess('job', id, '--root', root);
    expect(shown.stdout).toContain('  song:    Band - Cancelled Song');
    expect(shown.stdout).not.toContain('(no tags)');
  }, 60_000);
});
