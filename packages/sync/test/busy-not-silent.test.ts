// A busy machine is not a dead share, for the two watches that judged a silence by time alone: the per-mount
// `stat` of a pass (folder-stats.ts: where each destination folder is, before any transfer) and rclone's
// core/stats watch on an rc call to a remote on this host. Both took any silence of the share timeout for a
// share that stopped answering: a `stat` starved of CPU (the separation worker on every core beside nas-sync)
// made the destination UNREACHABLE for the pass, and rclone hashing a large delivered file (its check of the
// copy, which moves no byte core/stats counts) was killed as if its share had stopped. Both now go by the
// local helper's rule (watchSilence): a silence is confirmed by the processes' state, so work is let finish
// and a process asleep is still given up on. Real tools: a `stat` that works (or sleeps) before it answers,
// a real `rclone rcd` hashing a 1 GiB file. A real share whose server is SIGSTOPped is still UNREACHABLE:
// dead-share.test.ts (the folder look) and dead-share-tools.test.ts (rclone's copy).
import { chmod, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { createRcloneDaemon } from '../src/backends/rclone-daemon.ts';
import { statFolders } from '../src/util/folder-stats.ts';
import { tempDir } from './helpers.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe("a pass's look at a destination folder (a `stat` per mount) that answers after the share timeout", () => {
  /** statFolders of a folder with a `stat` program that runs `script` first; bound 1 s. */
  const look = async (script: string) => {
    const dir = await tempDir('imk-busy-stat-');
    cleanup = dir.remove;
    const bin = join(dir.path, 'bin');
    const folder = join(dir.path, 'Music');
    await mkdir(bin);
    await mkdir(folder);
    const real = (await execa('sh', ['-c', 'command -v stat'])).stdout.trim();
    await writeFile(join(bin, 'stat'), `#!/bin/sh\n${script}\nexec ${real} "$@"\n`);
    await chmod(join(bin, 'stat'), 0o755);
    const started = performance.now();
    const found = await statFolders([folder], {
      timeoutMs: 1000,
      mountinfo: '/proc/self/mountinfo',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    return { said: found.get(folder), took: performance.now() - started };
  };

  it('working (using CPU, or starved of it) is let answer: the folder is found, not UNREACHABLE', async () => {
    // 3 s of work under the `stat` (three times the bound), then the real answer.
    const { said, took } = await look(`timeout 3 sh -c 'while :; do :; done'`);
    expect(said).toEqual({ dev: expect.any(String), ino: expect.any(String) });
    expect(took, 'it ran past the bound').toBeGreaterThan(2000);
  }, 60_000);

  it('asleep, using no CPU (as a `stat` waiting on a share that stopped), is given up on at the bound', async () => {
    // One process (exec): given up on, it is killed and the mount is not taken for stuck afterwards.
    const { said, took } = await look('exec sleep 30');
    expect(said).toBe('silent');
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(20_000);
  }, 60_000);
});

describe('an rclone rc call on a remote on this host that moves no byte for longer than the share timeout', () => {
  it("rclone hashing a large file (the check of a delivered copy) is let finish, not killed as a share's silence", async () => {
    const dir = await tempDir('imk-busy-rclone-');
    cleanup = dir.remove;
    // 1 GiB without using the disk (a sparse file reads as zeros): about 1.5 s of md5 at 700 MB/s, three times the bound.
    const file = await open(join(dir.path, 'big.flac'), 'w');
    await file.truncate(1024 ** 3);
    await file.close();
    const given: string[] = [];
    const daemon = createRcloneDaemon({
      binary: () => Promise.resolve('rclone'),
      flags: ['--config', '/dev/null', '--log-level', 'ERROR'],
      watch: {
        silentMs: 500,
        when: () => true,
        error: (folder, since) => {
          given.push(folder);
          return new Error(`${folder} made no progress since ${since.toISOString()}`);
        },
      },
    });
    try {
      const started = performance.now();
      const answer = await daemon.call<{ item: { Hashes?: Record<string, string> } }>('operations/stat', {
        fs: dir.path,
        remote: 'big.flac',
        opt: { showHash: true, hashTypes: ['md5'] },
      });
      expect(given).toEqual([]);
      // md5 of 1 GiB of zeros.
      expect(answer.item.Hashes?.md5).toBe('cd573cfaace07e7949bc0c46028904ff');
      expect(performance.now() - started, 'it ran past the bound').toBeGreaterThan(500);
    } finally {
      await daemon.close();
    }
  }, 120_000);
});
