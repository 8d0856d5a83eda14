import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { readBundle } from '@imk/protocol';
import { publishBundle } from './publish.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-publish-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('publishBundle', () => {
  it('publishes a complete bundle that readBundle accepts, with files[] filled', async () => {
    const source = join(root, 'song.m4a');
    await writeFile(source, 'audio bytes');
    const queueDir = join(root, 'queues', 'other');
    const result = await publishBundle({
      queueDir,
      job: { job_id: 'abc_1', source_type: 'local', audio_path: 'audio.m4a', title: 'T' },
      files: [
        { name: 'audio.m4a', source },
        { name: 'cover.jpg', data: new Uint8Array([1, 2, 3]) },
      ],
    });
    expect(result).toEqual({ jobId: 'abc_1', dir: join(queueDir, 'job_abc_1') });
    expect(await readdir(queueDir)).toEqual(['job_abc_1']);
    const job = JSON.parse(await readFile(join(result.dir, 'job.json'), 'utf8')) as {
      schema_version: number;
      created_at: unknown;
      files: { path: string; bytes: number }[];
    };
    expect(job.schema_version).toBe(1);
    expect(typeof job.created_at).toBe('string');
    expect(job.files.map((f) => f.path)).toEqual(['audio.m4a', 'cover.jpg']);
    expect(job.files[0]!.bytes).toBe(11);
    expect((await readBundle(result.dir)).ok).toBe(true);
    // copy, not move: the source stays
    expect(await readFile(source, 'utf8')).toBe('audio bytes');
  });

  it('moves a source file when asked', async () => {
    const source = join(root, 'song.m4a');
    await writeFile(source, 'x');
    const queueDir = join(root, 'q');
    await publishBundle({
      queueDir,
      job: { job_id: 'mv', source_type: 'local', audio_path: 'a.m4a' },
      files: [{ name: 'a.m4a', source, move: true }],
    });
    await expect(readFile(source)).rejects.toThrow();
  });

  it('refuses an invalid job, naming the fields, and leaves nothing behind', async () => {
    const queueDir = join(root, 'q');
    const error: unknown = await publishBundle({
      queueDir,
      job: { job_id: 'bad id/..', source_type: 3 },
      files: [{ name: '../x', data: 'x' }],
    }).catch((e: unknown) => e);
    expect(isImkError(error, 'INVALID_JOB')).toBe(true);
    expect((error as Error).message).toContain('files[0].name');
    const error2: unknown = await publishBundle({
      queueDir,
      job: { job_id: 'ok', source_type: 3 },
      files: [],
    }).catch((e: unknown) => e);
    expect(isImkError(error2, 'INVALID_JOB')).toBe(true);
    expect((error2 as Error).message).toMatch(/source_type/);
    expect(await readdir(queueDir).catch(() => [])).toEqual([]);
  });

  // A job.json of a newer schema_version was published and only refused when a worker claimed it (the
  // claim's check, protocol's validateJob): the producer heard nothing, and a bundle sat rejected. It is
  // refused at publish with the claim's own words, whatever its other fields hold.
  it('refuses a job of a newer schema_version as the claim would, and leaves nothing behind', async () => {
    const queueDir = join(root, 'q');
    for (const job of [
      { schema_version: 2, job_id: 'next', source_type: 'local', audio_path: 'a.m4a' },
      { schema_version: 7, job_id: 'later', source_type: 3 },
    ]) {
      const error: unknown = await publishBundle({
        queueDir,
        job,
        files: [{ name: 'a.m4a', data: 'a' }],
      }).catch((e: unknown) => e);
      expect(isImkError(error, 'INVALID_JOB'), String(error)).toBe(true);
      expect((error as Error).message).toBe(
        `job ${job.job_id} is not valid: job.json: schema_version ${job.schema_version} is newer than this imk reads (1); upgrade imk`,
      );
    }
    expect(await readdir(queueDir).catch(() => [])).toEqual([]);
  });

  it('refuses a job id that already exists, and cleans its .tmp after a failed copy', async () => {
    const queueDir = join(root, 'q');
    const job = { job_id: 'dup', source_type: 'local', audio_path: 'a.m4a' };
    await publishBundle({ queueDir, job, files: [{ name: 'a.m4a', data: 'a' }] });
    const error: unknown = await publishBundle({
      queueDir,
      job,
      files: [{ name: 'a.m4a', data: 'a' }],
    }).catch((e: unknown) => e);
    expect(isImkError(error, 'JOB_EXISTS')).toBe(true);
    const missing: unknown = await publishBundle({
      queueDir,
      job: { ...job, job_id: 'nosource' },
      files: [{ name: 'a.m4a', source: join(root, 'nope.m4a') }],
    }).catch((e: unknown) => e);
    expect(isImkError(missing, 'SOURCE_MISSING')).toBe(true);
    expect(await readdir(queueDir)).toEqual(['job_dup']);
  });

  it('refuses a source that is a link to a FIFO or a device at once, naming it, and leaves nothing behind', async () => {
    // `imk enqueue song.wav --cover pic.jpg` where pic.jpg is a link: followed (the user's to make), but
    // only to a regular file. Before, a link to a FIFO blocked the copy forever; one to /dev/zero filled the disk.
    const queueDir = join(root, 'q');
    const fifo = join(root, 'pipe');
    await promisify(execFile)('mkfifo', [fifo]);
    await symlink(fifo, join(root, 'cover-to-fifo.jpg'));
    await symlink('/dev/zero', join(root, 'cover-to-zero.jpg'));
    for (const [id, name] of [
      ['to_fifo', 'cover-to-fifo.jpg'],
      ['to_zero', 'cover-to-zero.jpg'],
      ['fifo', 'pipe'],
    ] as const) {
      const outcome: unknown = await Promise.race([
        publishBundle({
          queueDir,
          job: { job_id: id, source_type: 'local', audio_path: 'a.m4a', cover_path: 'cover.jpg' },
          files: [
            { name: 'a.m4a', data: 'a' },
            { name: 'cover.jpg', source: join(root, name) },
          ],
        }).catch((e: unknown) => e),
        sleep(10_000).then(() => 'still copying after 10 s'),
      ]);
      expect(isImkError(outcome, 'SOURCE_NOT_FILE'), `${name}: ${String(outcome)}`).toBe(true);
      expect((outcome as Error).message).toContain(name);
    }
    expect(await readdir(queueDir).catch(() => [])).toEqual([]);
  }, 40_000);
});
