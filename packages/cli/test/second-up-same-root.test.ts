// A second `imk up` on a root where one already runs (a second terminal, a forgotten `npm start`) is
// stopped by the dashboard's port in use, with a message saying so. Its services wrote their heartbeats
// on the way, "starting" and then "failed"/"stopped", over the running one's, so `imk healthcheck` called
// the healthy process unhealthy (exit 1, "web: failed (heartbeat of pid <the second>)") until its next beat
// up to 15 s later: long enough for a container's health check to fail; and its worker, inbox and
// retrievers had started beside the refused dashboard. Now the other services start once the dashboard
// listens, and a process that is not running leaves another live process's heartbeat alone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHeartbeat } from '@imk/ops';
import { IMK } from './imk-bin.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const imk = (...args: string[]) =>
  execa(process.execPath, [IMK, ...args], { reject: false, timeout: 60_000, stdin: 'ignore' });

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-second-up-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('a second imk up on the same root', () => {
  it('is refused for the port, and the running one stays healthy for imk healthcheck', async () => {
    const services = 'web,inbox';
    const first = execa(process.execPath, [IMK, 'up', '--root', root, '--port', '0', '--only', services], {
      reject: false,
    });
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (Date.now() < deadline) {
        const [web, inbox] = await Promise.all([readHeartbeat(root, 'web'), readHeartbeat(root, 'inbox')]);
        url = web?.url;
        if (url !== undefined && inbox?.state === 'running') break;
        await sleep(200);
      }
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const port = new URL(url!).port;

      const second = await imk('up', '--root', root, '--port', port, '--only', services);
      expect(second.exitCode).toBe(1);
      expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      // Its other services never started: nothing of the running one's work was taken by it.
      expect(second.stderr).not.toContain('inbox started');

      for (const service of services.split(',')) {
        const check = await imk('healthcheck', service, '--root', root);
        expect(check.stderr, service).toBe('');
        expect(check.exitCode, service).toBe(0);
        expect(check.stdout).toContain(`${service}: healthy`);
        expect(check.stdout).toContain(`pid ${first.pid}`);
      }
    } finally {
      first.kill('SIGTERM');
    }
    expect((await first).exitCode).toBe(0);
    // The first one's own last beat is still written when it stops.
    expect((await readHeartbeat(root, 'web'))?.state).toBe('stopped');
  });
});
