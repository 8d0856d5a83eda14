// A service killed with SIGKILL (or by the OOM killer) writes no last heartbeat: its file still says
// "running", and `imk healthcheck` called it healthy ("heartbeat 7 s ago, pid 457") for up to a minute
// after the process was gone. A heartbeat written on this host whose process no longer exists is now
// unhealthy at once, and says so.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heartbeatFile } from '@imk/ops';
import { IMK } from './imk-bin.ts';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-healthcheck-killed-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function beat(service: string, pid: number, host = hostname()): Promise<void> {
  const file = heartbeatFile(root, service);
  await mkdir(dirname(file), { recursive: true });
  const at = new Date().toISOString();
  await writeFile(file, JSON.stringify({ service, host, pid, state: 'running', at }));
}

describe('imk healthcheck after the service was killed', () => {
  it("is unhealthy at once when the heartbeat's process is gone, and healthy while it lives", async () => {
    const gone = spawnSync('true').pid;
    await beat('inbox', gone);
    const dead = await execa(process.execPath, [IMK, 'healthcheck', 'inbox', '--root', root], {
      reject: false,
    });
    expect(dead.exitCode).toBe(1);
    expect(dead.stderr).toContain(`inbox: its process (pid ${gone}) is no longer running (killed?)`);

    await beat('inbox', process.pid);
    const alive = await execa(process.execPath, [IMK, 'healthcheck', 'inbox', '--root', root], {
      reject: false,
    });
    expect(alive.stderr).toBe('');
    expect(alive.exitCode).toBe(0);
  });

  it('does not judge a process of another host (a container, another worker host) by its pid', async () => {
    await beat('inbox', spawnSync('true').pid, 'another-host');
    // A heartbeat that names another host (a host renamed, a container that shares state/ under another
    // name): its pid means nothing here, so it is judged by its age alone, as before.
    const result = await execa(process.execPath, [IMK, 'healthcheck', 'inbox', '--root', root], {
      reject: false,
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});
