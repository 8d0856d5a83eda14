import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createDiskGuard, type DiskSpace } from '../src/index.ts';

const MB = 1024 * 1024;

// outputs/ (or a queue, or state/) set in config/paths.yaml to a folder not made yet, on a share or a small
// volume that is full: the guard skipped a folder that did not exist, measured only the others (on a roomy
// disk), and the worker claimed job after job, each failing at encode with ENOSPC, its attempts spent in
// seconds. The folder will be made on its parent's file system: that one counts.
describe('the disk guard and a folder not made yet', () => {
  it('measures its nearest folder that exists, and pauses claiming when that disk is full', async () => {
    // Free space as statfs says it: ENOENT for what does not exist.
    const disks: Record<string, number> = { '/': 50_000 * MB, '/mnt/share': 0, '/srv/imk': 50_000 * MB };
    const measure = (path: string): Promise<DiskSpace> =>
      path in disks
        ? Promise.resolve({ path, freeBytes: disks[path]!, totalBytes: 100_000 * MB })
        : Promise.reject(
            Object.assign(new Error(`ENOENT: no such file or directory, statfs '${path}'`), {
              code: 'ENOENT',
            }),
          );
    const guard = createDiskGuard({
      paths: ['/mnt/share/imk/outputs', '/srv/imk/queues', '/srv/imk'],
      minFreeBytes: 2048 * MB,
      measure,
      logger: createLogger('test', { level: 'silent' }),
    });
    const status = await guard.check();
    expect(guard.shouldClaim()).toBe(false);
    expect(status.reason).toContain('only 0 B free on /mnt/share');
    // Room again on the share: claiming resumes.
    disks['/mnt/share'] = 50_000 * MB;
    await guard.check();
    expect(guard.shouldClaim()).toBe(true);
  });
});
