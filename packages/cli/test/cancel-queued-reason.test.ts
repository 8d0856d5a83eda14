import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
