import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { publishBundle } from '@imk/fsqueue';
import { minimalManifest } from '@imk/protocol/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger, rebuildLedger } from './index.ts';

let root: string;
const SHA = 'a'.repeat(64);

async function archived(
  state: string,
  jobId: string,
  files: Record<string, unknown>,
  mtime: Date,
): Promise<void> {
  const dir = join(root, 'queues', 'other', state, `job_${jobId}@host-1.abc`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({ job_id: jobId, source_type: 'local', artist: 'A', title: jobId, audio_path: 'a.wav' }),
  );
  for (const [name, value] of Object.entries(files)) await writeFile(join(dir, name), JSON.stringify(value));
  await utimes(dir, mtime, mtime);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-rebuild-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('rebuildLedger', () => {
  it('rebuilds jobs, states, errors and artifacts from the queue folders and the output manifests', async () => {
    await publishBundle({
      queueDir: join(root, 'queues', 'youtube_audio'),
      job: {
        job_id: 'waiting',
        source_type: 'youtube',
        artist: 'Chan',
        title: 'Vid',
        audio_path: 'audio.wav',
      },
      files: [{ name: 'audio.wav', data: 'RIFF' }],
    });
    await archived(
      'failed',
      'broken',
      {
        'imk-state.json': { attempts: 3 },
        'imk-error.json': { stage: 'decode', message: 'not audio', attempt: 3 },
      },
      new Date(2026, 0, 1),
    );
    await archived(
      'rejected',
      'bad',
      { 'imk-rejection.json': { problems: [{ path: 'audio_path', message: 'missing' }] } },
      new Date(2026, 0, 2),
    );
    await archived(
      'failed',
      'done',
      { 'imk-error.json': { stage: 'encode', message: 'disk full', attempt: 1 } },
      new Date(2026, 0, 3),
    );
    await archived('succeeded', 'done', { 'imk-state.json': { attempts: 2 } }, new Date(2026, 0, 4));
    const out = join(root, 'outputs', 'done');
    await mkdir(out, { recursive: true });
    await mkdir(join(root, 'outputs', '.done.partial-x'), { recursive: true });
    await writeFile(
      join(out, 'manifest.json'),
      JSON.stringify(
        minimalManifest('done', {
          album: '',
          title: 'done',
          processed_at: new Date().toISOString(),
          input: { sha256: SHA, duration_sec: 3 },
          timings_sec: { separate: 1.25, encode: 0.5 },
          artifacts: [
            {
              kind: 'audio',
              variant: 'instrumental',
              label: 'Instrumental',
              path: 'files/audio/A - done.m4a',
              codec: 'aac',
              container: 'm4a',
              duration_sec: 3,
              sha256: SHA,
              bytes: 100,
            },
          ],
        }),
      ),
    );

    const result = await rebuildLedger({ root });
    expect(result).toMatchObject({ jobs: 4, manifests: 1, artifacts: 1, problems: [] });

    const ledger = openLedger({ root });
    try {
      expect(ledger.getJob('waiting')?.job).toMatchObject({
        state: 'ready',
        queue: 'youtube_audio',
        artist: 'Chan',
      });
      const broken = ledger.getJob('broken')!;
      expect(broken.job).toMatchObject({ state: 'failed', attempts: 3, last_error: 'not audio' });
      expect(broken.errors).toEqual([
        expect.objectContaining({ stage: 'decode', message: 'not audio', attempt: 3 }),
      ]);
      expect(ledger.getJob('bad')?.job).toMatchObject({
        state: 'rejected',
        last_error: 'audio_path: missing',
      });
      const done = ledger.getJob('done')!;
      expect(done.job).toMatchObject({ state: 'succeeded', input_sha256: SHA, output_dir: out });
      expect(done.events.map((e) => e.state)).toEqual(['failed', 'succeeded']);
      expect(done.artifacts[0]).toMatchObject({ path: 'files/audio/A - done.m4a', sha256: SHA, bytes: 100 });
      expect(done.stages.map((s) => [s.stage, s.duration_sec])).toEqual([
        ['separate', 1.25],
        ['encode', 0.5],
      ]);
      expect(ledger.findSucceededByInput(SHA)?.job_id).toBe('done');
    } finally {
      ledger.close();
    }
    // Idempotent: a second rebuild gives the same rows, not twice as many.
    expect(await rebuildLedger({ root })).toMatchObject({ jobs: 4, artifacts: 1 });
  });
});

describe('rebuildLedger and cancelled jobs', () => {
  it('shows a cancelled job as cancelled, with who cancelled it and why', async () => {
    await archived(
      'cancelled',
      'stopped',
      {
        'imk-cancel.json': {
          job_id: 'stopped',
          status: 'cancelled',
          reason: 'wrong song',
          requested_by: 'imk cancel',
          was: 'running',
          stage: 'separate',
          message: 'cancelled by imk cancel while running (stage separate): wrong song',
          attempt: 1,
        },
      },
      new Date('2026-01-02T03:04:05Z'),
    );
    await rebuildLedger({ root });
    const ledger = openLedger({ root });
    try {
      const detail = ledger.getJob('stopped')!;
      expect(detail.job).toMatchObject({ state: 'cancelled', stage: 'separate', attempts: 1 });
      expect(detail.events.at(-1)?.message).toBe(
        'cancelled by imk cancel while running (stage separate): wrong song',
      );
      expect(ledger.listJobs({ state: 'cancelled' }).map((j) => j.job_id)).toEqual(['stopped']);
    } finally {
      ledger.close();
    }
  });
});

// A manifest's processed_at names its instant in whatever zone its writer used: a rebuild stored that text as
// each stage's started_at, beside the worker's own stage times in UTC (`…Z`), so the two sorted apart.
describe('rebuildLedger and the stage times of a manifest', () => {
  it('stores each stage start as the UTC instant the manifest names', async () => {
    const out = join(root, 'outputs', 'zoned');
    await mkdir(out, { recursive: true });
    await writeFile(
      join(out, 'manifest.json'),
      JSON.stringify(
        minimalManifest('zoned', {
          title: 'zoned',
          processed_at: '2026-05-01T14:00:00.5+02:00',
          input: { sha256: SHA, duration_sec: 3 },
          timings_sec: { separate: 1.25 },
        }),
      ),
    );
    expect(await rebuildLedger({ root })).toMatchObject({ manifests: 1, problems: [] });
    const ledger = openLedger({ root });
    try {
      expect(ledger.getJob('zoned')?.stages).toEqual([
        expect.objectContaining({ stage: 'separate', started_at: '2026-05-01T12:00:00.500Z' }),
      ]);
    } finally {
      ledger.close();
    }
  });
});

// The archives are in queue folders others can write to: a link, a loop of links or a FIFO named like an
// archived job made stat throw (ELOOP, ENOENT) and the whole rebuild stop; a link to a bundle elsewhere was
// followed and recorded as a job of this queue.
describe('rebuildLedger and entries of an archive that are not job folders', () => {
  it('rebuilds the real jobs and names each entry it left out', async () => {
    await archived('succeeded', 'real', { 'imk-result.json': {} }, new Date(2026, 0, 1));
    const archive = (state: string, id: string) => join(root, 'queues', 'other', state, `job_${id}@h.x`);
    await symlink(`job_loop@h.x`, archive('succeeded', 'loop'));
    await mkdir(join(root, 'queues', 'other', 'failed'), { recursive: true });
    await symlink(join(root, 'nowhere'), archive('failed', 'dangling'));
    // A real bundle elsewhere, linked into rejected/: not a job of this queue.
    await archived('elsewhere', 'linked', {}, new Date(2026, 0, 2));
    await mkdir(join(root, 'queues', 'other', 'rejected'), { recursive: true });
    await symlink(archive('elsewhere', 'linked'), archive('rejected', 'linked'));
    await execa('mkfifo', [archive('succeeded', 'fifo')]);

    const result = await rebuildLedger({ root });
    expect(result).toMatchObject({ jobs: 1, folders: 1 });
    expect(result.problems.sort()).toEqual([
      'queues/other/failed/job_dangling@h.x is a symbolic link, not a job folder; left out (links are not followed)',
      'queues/other/rejected/job_linked@h.x is a symbolic link, not a job folder; left out (links are not followed)',
      'queues/other/succeeded/job_fifo@h.x is a FIFO (named pipe), not a job folder; left out',
      'queues/other/succeeded/job_loop@h.x is a symbolic link, not a job folder; left out (links are not followed)',
    ]);
    const ledger = openLedger({ root });
    try {
      expect(ledger.listJobs({}).map((job) => job.job_id)).toEqual(['real']);
    } finally {
      ledger.close();
    }
  });
});
