import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { heartbeatFile } from '@imk/ops';
import { runServices } from './supervisor.ts';

const quiet = () => createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('runServices (imk up, imk run <service>)', () => {
  it('runs services side by side, shows them on the dashboard, and stops them all on abort', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-up-'));
    roots.push(root);
    const stop = new AbortController();
    let url = '';
    const running = runServices({
      root,
      logger: quiet(),
      serviceLogger: quiet,
      names: ['inbox', 'web'],
      signal: stop.signal,
      extras: { web: { overrides: { port: 0 } } },
      onListening: (u) => (url = u),
    });
    await expect.poll(() => url, { timeout: 30_000 }).not.toBe('');
    const status = (await (await fetch(`${url}/api/status`)).json()) as {
      services: { name: string; state: string }[];
    };
    expect(status.services).toEqual([
      { name: 'inbox', state: 'running' },
      { name: 'web', state: 'running', detail: url },
    ]);
    const beat = JSON.parse(await readFile(heartbeatFile(root, 'web'), 'utf8')) as {
      state: string;
      pid: number;
    };
    expect(beat).toMatchObject({ state: 'running', pid: process.pid });

    stop.abort();
    const result = await running;
    expect(result.ok).toBe(true);
    expect(result.states.map((s) => [s.name, s.state])).toEqual([
      ['inbox', 'stopped'],
      ['web', 'stopped'],
    ]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // The last beats are on disk when runServices returns, and no write is still in flight (a caller
    // that removes the folder next, as a test's cleanup does, must not race one).
    for (const name of ['inbox', 'web']) {
      const last = JSON.parse(await readFile(heartbeatFile(root, name), 'utf8')) as { state: string };
      expect(last.state, name).toBe('stopped');
    }
    const healthDir = dirname(heartbeatFile(root, 'web'));
    expect((await readdir(healthDir)).sort()).toEqual(
      ['inbox', 'web'].map((name) => basename(heartbeatFile(root, name))).sort(),
    );
  });

  it('says at start where it reads and writes: the root and its folders, then each service its settings file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-up-lines-'));
    roots.push(root);
    await mkdir(join(root, 'config'));
    await writeFile(join(root, 'config', 'inbox.yaml'), 'pollIntervalMs: 500\n');
    const lines: Record<string, unknown>[] = [];
    const capture = (name: string) =>
      createLogger(name, {
        destination: new Writable({
          write(chunk: Buffer, _e, done) {
            lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
            done();
          },
        }),
      });
    const stop = new AbortController();
    process.env.IMK_WEB__HOST = '127.0.0.1';
    try {
      const running = runServices({
        root,
        logger: capture('imk-up'),
        serviceLogger: capture,
        names: ['inbox', 'web'],
        signal: stop.signal,
        extras: { web: { overrides: { port: 0 } } },
        onListening: () => stop.abort(),
      });
      await running;
    } finally {
      delete process.env.IMK_WEB__HOST;
    }
    const said = (service: string) => lines.filter((l) => l.service === service).map((l) => String(l.msg));
    expect(said('imk-up')[0]).toBe(
      `root ${root}: settings from ${join(root, 'config')}, queues in ${join(root, 'queues')}, outputs in ${join(root, 'outputs')}, state in ${join(root, 'state')}`,
    );
    expect(said('inbox')[0]).toBe(`starting: settings from ${join(root, 'config', 'inbox.yaml')}`);
    expect(said('web')[0]).toBe(
      `starting: no ${join(root, 'config', 'web.yaml')}: the defaults, with IMK_WEB__HOST over them`,
    );
  });

  it('refuses to start when no service can be loaded', async () => {
    await expect(
      runServices({ root: tmpdir(), logger: quiet(), names: [], signal: new AbortController().signal }),
    ).rejects.toThrow(/none of the services could be loaded/);
  });
});
