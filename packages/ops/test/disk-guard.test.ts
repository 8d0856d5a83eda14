import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '@imk/log';
import {
  DiskGuardConfigSchema,
  createDiskGuard,
  measureDiskSpace,
  openDiskGuard,
  type DiskSpace,
} from '../src/index.ts';

function capture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('test', { destination, level: 'info' }), lines };
}

const MB = 1024 * 1024;

describe('disk guard', () => {
  it("checks, when created without an interval, as often as config/operations.yaml's default says", async () => {
    // One default (DEFAULT_DISK_CHECK_SECONDS): the library's fallback and the config schema's .default() were
    // 30_000 ms and 30 s, written apart.
    const seconds = DiskGuardConfigSchema.parse({}).checkIntervalSeconds;
    vi.useFakeTimers();
    try {
      let checks = 0;
      const measure = (path: string): Promise<DiskSpace> => {
        checks++;
        return Promise.resolve({ path, freeBytes: 5000 * MB, totalBytes: 10_000 * MB });
      };
      const guard = createDiskGuard({
        paths: ['/data'],
        minFreeBytes: MB,
        logger: capture().logger,
        measure,
      });
      const stop = new AbortController();
      guard.start(stop.signal);
      expect(checks).toBe(1);
      await vi.advanceTimersByTimeAsync(seconds * 1000 - 1);
      expect(checks).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(checks).toBe(2);
      stop.abort();
    } finally {
      vi.useRealTimers();
    }
  });

  it('skips a data folder whose path runs through a file like one not made yet, instead of failing every check', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-disk-'));
    try {
      await writeFile(join(dir, 'outputs'), 'a file where a folder was expected');
      const guard = createDiskGuard({
        paths: [dir, join(dir, 'outputs', 'share')],
        minFreeBytes: 1,
        logger: capture().logger,
      });
      const status = await guard.check();
      expect(guard.shouldClaim()).toBe(true);
      expect(status.spaces.map((s) => s.path)).toEqual([dir]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops claiming below the threshold, resumes only above the resume level, and says so in the log', async () => {
    let free = 5000 * MB;
    const measure = (path: string): Promise<DiskSpace> =>
      Promise.resolve({ path, freeBytes: free, totalBytes: 10_000 * MB });
    const { logger, lines } = capture();
    const guard = createDiskGuard({
      paths: ['/data'],
      minFreeBytes: 1000 * MB,
      resumeFreeBytes: 2000 * MB,
      logger,
      measure,
    });

    await guard.check();
    expect(guard.shouldClaim()).toBe(true);

    free = 900 * MB;
    const low = await guard.check();
    expect(guard.shouldClaim()).toBe(false);
    expect(low.reason).toMatch(/only 900 MiB free on \/data \(below 1000 MiB\)/);
    expect(lines.join('\n')).toMatch(/claiming paused/);

    free = 1500 * MB; // above the minimum but below the resume level: still paused (no flapping)
    await guard.check();
    expect(guard.shouldClaim()).toBe(false);

    free = 2500 * MB;
    await guard.check();
    expect(guard.shouldClaim()).toBe(true);
    expect(lines.join('\n')).toMatch(/claiming resumed/);
  });

  it('watches the fullest of several filesystems, and measures a real one', async () => {
    const real = await measureDiskSpace('/');
    expect(real.totalBytes).toBeGreaterThan(real.freeBytes);
    const frees: Record<string, number> = { '/a': 10_000 * MB, '/b': 10 * MB };
    const guard = createDiskGuard({
      paths: ['/a', '/b'],
      minFreeBytes: 100 * MB,
      logger: capture().logger,
      measure: (path) => Promise.resolve({ path, freeBytes: frees[path] ?? 0, totalBytes: 20_000 * MB }),
    });
    const status = await guard.check();
    expect(status.lowest?.path).toBe('/b');
    expect(guard.shouldClaim()).toBe(false);
  });

  it('always allows claiming when disabled', async () => {
    const guard = createDiskGuard({
      paths: ['/a'],
      minFreeBytes: 100 * MB,
      enabled: false,
      logger: capture().logger,
      measure: (path) => Promise.resolve({ path, freeBytes: 0, totalBytes: 1 }),
    });
    await guard.check();
    expect(guard.shouldClaim()).toBe(true);
  });
});

describe('openDiskGuard', () => {
  it('is shared per root and keeps checking until its last user lets go', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-guard-'));
    const worker = new AbortController();
    const web = new AbortController();
    const logger = capture().logger;
    const a = await openDiskGuard({ root, logger, signal: worker.signal });
    const b = await openDiskGuard({ root, logger, signal: web.signal });
    expect(a).toBe(b);
    expect(a.status().spaces.length).toBeGreaterThan(0);
    worker.abort();
    const third = new AbortController();
    const c = await openDiskGuard({ root, logger, signal: third.signal });
    expect(c).toBe(a); // still held by the web user
    web.abort();
    third.abort();
    await rm(root, { recursive: true, force: true });
  });
});
