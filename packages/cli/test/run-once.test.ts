import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

describe('imk run --once', async () => {
  const root = await mkdtemp(join(tmpdir(), 'imk-run-once-'));
  afterAll(() => rm(root, { recursive: true, force: true }));

  // Before: --once was ignored for these, and the command ran until killed (a script waiting for it hung).
  it.each(['inbox', 'nas-sync', 'web'])(
    'is refused at once for %s, which has no one-pass mode, saying what to run instead',
    async (service) => {
      const result = await execa(IMK, ['run', service, '--once', '--root', root], {
        reject: false,
        all: true,
        timeout: 20_000,
        env: { IMK_LOG_LEVEL: 'warn' },
      });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).not.toBe(0);
      expect(result.all).toContain(`--once: the ${service} service has no one-pass mode`);
      expect(result.all).toContain('only instrumental-maker has one');
      if (service === 'nas-sync') expect(result.all).toContain('imk sync --once');
    },
  );
});
