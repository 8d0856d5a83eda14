import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

  it('refuses to start when no service can be loaded', async () => {
    await expect(
      runServices({ root: tmpdir(), logger: quiet(), names: [], signal: new AbortController().signal }),
    ).rejects.toThrow(/none of the services could be loaded/);
  });
});
