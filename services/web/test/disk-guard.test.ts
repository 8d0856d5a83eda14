import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiskGuard, type DiskSpace } from '@imk/ops';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

const MB = 1024 * 1024;
let free = 50 * MB;
let web: RunningWeb;
let cleanup: () => Promise<void>;
const stop = new AbortController();
const guard = createDiskGuard({
  paths: ['/data/outputs'],
  minFreeBytes: 100 * MB,
  resumeFreeBytes: 200 * MB,
  logger: quietLogger(),
  measure: (path): Promise<DiskSpace> => Promise.resolve({ path, freeBytes: free, totalBytes: 1000 * MB }),
});

beforeAll(async () => {
  const made = await tempRoot();
  cleanup = made.cleanup;
  await guard.check();
  web = await listenWeb({
    root: made.root,
    logger: quietLogger(),
    signal: stop.signal,
    diskGuard: guard,
    overrides: { port: 0 },
  });
});
afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

describe('disk guard on the dashboard', () => {
  it('says that claiming is paused and why, in the status, the metrics and readiness, then that it resumed', async () => {
    const status = (await (await fetch(`${web.url}/api/status`)).json()) as {
      diskGuard: { claiming: boolean; reason: string };
    };
    expect(status.diskGuard.claiming).toBe(false);
    expect(status.diskGuard.reason).toMatch(
      /only 50 MiB free on \/data\/outputs .*claiming paused until 200 MiB are free/,
    );
    expect(await (await fetch(`${web.url}/metrics`)).text()).toContain('imk_disk_guard_claiming 0');
    const ready = (await (await fetch(`${web.url}/readyz`)).json()) as {
      ready: boolean;
      diskGuard: { claiming: boolean };
    };
    expect(ready).toMatchObject({ ready: true, diskGuard: { claiming: false } });

    free = 500 * MB;
    await guard.check();
    const after = (await (await fetch(`${web.url}/api/status`)).json()) as {
      diskGuard: { claiming: boolean };
    };
    expect(after.diskGuard.claiming).toBe(true);
    expect(await (await fetch(`${web.url}/metrics`)).text()).toContain('imk_disk_guard_claiming 1');
  });
});
