// `imk up --root /mnt/nas/imk` with the share not mounted: the root did not exist, so it was created on this
// host's disk, without a word, and every song went there until the disk filled. A root that did not exist is
// still created (a first start needs no set-up), and the log says so, with what to check.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-start-root-created-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `imk up` (the dashboard alone) until it says it is running, then stopped: what it wrote to stderr. */
async function upOnce(root: string): Promise<string> {
  const up = execa(process.execPath, [IMK, 'up', '--only', 'web', '--port', '0', '--root', root], {
    reject: false,
    stdin: 'ignore',
    env: { IMK_LOG_LEVEL: 'warn' },
  });
  await new Promise<void>((resolve, reject) => {
    up.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('is running')) resolve();
    });
    void up.then(() => reject(new Error('imk up ended before it said it was running')));
  });
  up.kill('SIGTERM');
  const result = await up;
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stderr;
}

describe('imk up on a root that does not exist', () => {
  it('creates it and says so, naming it and the share to check; not again once it exists', async () => {
    const root = join(dir, 'nas', 'imk');
    expect(await upOnce(root)).toContain(
      `created ${root}, which did not exist: if it should be on a share (a NAS), check that the share is mounted`,
    );
    expect(await upOnce(root)).not.toContain('which did not exist');
  });
});

describe('imk run on a root that does not exist', () => {
  // `imk run <service> --once` starts no supervisor: it made the root in silence where `imk up` said it.
  it('says it created it too (--once, one pass with no supervisor), in the same words', async () => {
    const once = join(dir, 'nas-once', 'imk');
    const pass = await execa(process.execPath, [IMK, 'run', 'instrumental-maker', '--once', '--root', once], {
      reject: false,
      stdin: 'ignore',
      env: { IMK_LOG_LEVEL: 'warn' },
    });
    expect(pass.exitCode, pass.stderr).toBe(0);
    expect(pass.stderr).toContain(
      `created ${once}, which did not exist: if it should be on a share (a NAS), check that the share is mounted`,
    );
    const again = await execa(
      process.execPath,
      [IMK, 'run', 'instrumental-maker', '--once', '--root', once],
      {
        reject: false,
        stdin: 'ignore',
        env: { IMK_LOG_LEVEL: 'warn' },
      },
    );
    expect(again.stderr).not.toContain('which did not exist');
  }, 120_000);
});
