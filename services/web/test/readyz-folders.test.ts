// /readyz created the queues and outputs folders when they were missing. When config/paths.yaml puts
// outputs on a NAS share that is not mounted, that made a folder on the local disk under the mount point,
// /readyz said "ready", and finished songs then filled the local disk. A probe now creates nothing: a
// placed folder that is missing is a failed check naming the folder and the setting.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb | undefined;
let stop: AbortController;

beforeEach(async () => {
  ({ root, cleanup } = await tempRoot());
  stop = new AbortController();
  web = undefined;
});
afterEach(async () => {
  stop.abort();
  await web?.closed;
  await cleanup();
});

type Body = { ready: boolean; checks: { name: string; ok: boolean; detail?: string }[] };

describe('/readyz and a data folder on a share that is not mounted', () => {
  it('answers 503 naming the folder and its setting, and creates nothing under the mount point', async () => {
    const mountPoint = join(root, 'mnt', 'nas');
    await mkdir(mountPoint, { recursive: true });
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(join(root, 'config', 'paths.yaml'), `outputs: ${join(mountPoint, 'imk', 'outputs')}\n`);
    web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });

    const response = await fetch(`${web.url}/readyz`);

    expect(response.status).toBe(503);
    const body = (await response.json()) as Body;
    const outputs = body.checks.find((c) => c.name === 'outputs');
    expect(outputs?.ok).toBe(false);
    expect(outputs?.detail).toContain(join(mountPoint, 'imk', 'outputs'));
    expect(outputs?.detail).toContain('config/paths.yaml: outputs');
    expect(outputs?.detail).toContain('not mounted');
    expect(await readdir(mountPoint)).toEqual([]);
  });

  it('the default layout on a fresh root is ready before the first job, and still creates nothing', async () => {
    web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
    const before = await readdir(root);
    const response = await fetch(`${web.url}/readyz`);
    const body = (await response.json()) as Body;
    expect(
      body.checks.filter((c) => ['queues', 'outputs', 'state'].includes(c.name)).every((c) => c.ok),
    ).toBe(true);
    // (state/ is this host's own: the ledger is opened there when it is first asked for.)
    const made = (await readdir(root)).filter((name) => !before.includes(name));
    expect(made.filter((name) => name !== 'state')).toEqual([]);
  });
});
