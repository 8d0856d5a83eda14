// `imk healthcheck web` asks the dashboard's /healthz. It used the port of config/web.yaml, so a
// dashboard started with `imk up --port N`, or with `port: 0` ("any free port", as the config reference
// offers), was reported unhealthy while it answered. The dashboard's heartbeat now records where it
// listens, and the check asks there.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHeartbeat } from '@imk/ops';
import { IMK } from './imk-bin.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-healthcheck-web-'));
  await mkdir(join(root, 'config'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('imk healthcheck web', () => {
  it('asks the dashboard where it listens, on a port it was given at start', async () => {
    await writeFile(join(root, 'config', 'web.yaml'), 'port: 0\n');
    const web = execa(process.execPath, [IMK, 'run', 'web', '--root', root, '--log-format', 'json'], {
      reject: false,
    });
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (Date.now() < deadline && url === undefined) {
        url = (await readHeartbeat(root, 'web'))?.url;
        if (url === undefined) await sleep(200);
      }
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(/:0$/);

      const check = await execa(process.execPath, [IMK, 'healthcheck', 'web', '--root', root], {
        reject: false,
      });
      expect(check.stderr).toBe('');
      expect(check.exitCode).toBe(0);
      expect(check.stdout).toContain('web: healthy');
    } finally {
      web.kill('SIGTERM');
    }
    expect((await web).exitCode).toBe(0);
  });
});
