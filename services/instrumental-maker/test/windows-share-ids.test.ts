import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

// A job id is any text the user's disk takes (the earlier version accepted ":" , "?", a trailing dot, CON),
// so such ids are not refused. But with outputs/ on an SMB share, making outputs/<id>/ failed with a bare
// "EINVAL: invalid argument, mkdir '…'": the job failed naming no reason a user could act on. It now fails
// with OUTPUT_NAME_REFUSED naming the job, what the share refuses in its id and what to do, once (not
// retried). No SMB share can be mounted where the tests run: a shim loaded into the real imk process
// (fixtures/windows-names.c, LD_PRELOAD) makes mkdir() and rename() below outputs/ refuse such names with
// EINVAL, as Linux's CIFS client does; everything else is real.
const SHIM_SOURCE = fileURLToPath(new URL('./fixtures/windows-names.c', import.meta.url));
const REFUSED: [id: string, said: string][] = [
  ['Live: at Wembley?', 'it holds ":"'],
  ['Song.', 'it ends in a dot'],
  ['CON', '"CON" is a device name there'],
];
let root: string;
let shimDir: string;
let summary: Record<string, unknown> = {};
let log = '';

beforeAll(async () => {
  shimDir = await mkdtemp(join(tmpdir(), 'imk-windows-names-'));
  const shim = join(shimDir, 'windows-names.so');
  await execa('gcc', ['-shared', '-fPIC', '-O2', '-o', shim, SHIM_SOURCE, '-ldl']);
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], retry: { maxAttempts: 3 } });
  await makeSong(join(root, 'song.m4a'), 2);
  for (const id of [...REFUSED.map(([id]) => id), 'plain song'])
    await publishV1(
      root,
      'other',
      { job_id: id, source_type: 'local', artist: 'A', title: id, audio_path: 'song.m4a' },
      { 'song.m4a': join(root, 'song.m4a') },
    );
  const run = await imk(['run', '--once', '--root', root], {
    // libuv's io_uring would make mkdir without the C library's mkdir(): off, so the shim sees every call.
    env: { LD_PRELOAD: shim, IMK_TEST_WINDOWS_DIR: join(root, 'outputs'), UV_USE_IO_URING: '0' },
  });
  summary = JSON.parse(String(run.stdout || '{}')) as Record<string, unknown>;
  log = String(run.all);
}, 300_000);
afterAll(async () => {
  await removeRoot(root);
  await rm(shimDir, { recursive: true, force: true });
});

interface Failure {
  message: string;
  retryable: boolean;
  attempt: number;
}

async function failure(id: string): Promise<Failure> {
  const failed = join(root, 'queues', 'other', 'failed');
  const kept = (await readdir(failed).catch(() => [])).find((n) => n.startsWith(`job_${id}`));
  expect(kept, `${id} is not in other/failed:\n${log}`).toBeDefined();
  return JSON.parse(await readFile(join(failed, kept!, 'imk-error.json'), 'utf8')) as Failure;
}

describe('a job id that an SMB share refuses as a folder name, outputs/ being on one', () => {
  it('fails such jobs with the reason and what to do; a plain id is made as before', async () => {
    expect(summary, log).toMatchObject({ succeeded: 1, failed: REFUSED.length });
    expect((await readManifest(root, 'plain song')).job_id).toBe('plain song');
  });

  it.each(REFUSED)('%j: names the job, what is refused and what to do; tried once', async (id, said) => {
    const error = await failure(id);
    expect(error.message).toContain('[OUTPUT_NAME_REFUSED]');
    expect(error.message).toContain(`job ${id} (`);
    expect(error.message).toContain(`outputs/${id}/ cannot be made`);
    expect(error.message).toContain(`refuse this job id as a folder name (${said})`);
    expect(error.message).toMatch(/another job id.*file system that takes such names/);
    // The same share refuses it again: not retried (retry.maxAttempts is 3).
    expect(error).toMatchObject({ retryable: false, attempt: 1 });
    // Nothing half-made is left in outputs/ under its name.
    expect((await readdir(join(root, 'outputs'))).filter((n) => n.includes(id))).toEqual([]);
  });
});
