// The single-runner lock of nas-sync after a runner was killed outright (SIGKILL: the OOM killer, `docker
// kill`, a stop past its grace), leaving its record. In a container each start is a new PID namespace, so
// the nas-sync that comes back has the pid of the one killed: it took its own old record for a live runner
// and refused to start (`nas-sync is already running (pid 7)`) at every restart, for good.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ReceiptStore } from './receipts.ts';

describe('the runner lock', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  /** A receipts file whose runner record names `pid` on this host, as a runner that was killed leaves it. */
  async function leftBy(pid: number): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'imk-receipts-runner-'));
    dirs.push(dir);
    const file = join(dir, 'nas-sync.sqlite');
    ReceiptStore.open({ file })!.close();
    const db = new BetterSqlite3(file);
    db.prepare('INSERT OR REPLACE INTO runner (id, pid, token, host, started_at) VALUES (1, ?, ?, ?, ?)').run(
      pid,
      randomUUID(),
      hostname(),
      '2026-01-01T00:00:00.000Z',
    );
    db.close();
    return file;
  }

  it('takes over a record with its own pid that it never took (a runner killed in an earlier life of this pid)', async () => {
    const file = await leftBy(process.pid);
    const store = ReceiptStore.open({ file })!;
    try {
      expect(store.acquireRunner()).toBeUndefined();
      // Held now: a second engine in this same process is still refused, naming this process.
      const second = ReceiptStore.open({ file })!;
      expect(second.acquireRunner()).toBe(process.pid);
      second.close();
      store.releaseRunner();
      const third = ReceiptStore.open({ file })!;
      expect(third.acquireRunner()).toBeUndefined();
      third.releaseRunner();
      third.close();
    } finally {
      store.close();
    }
  });

  it('still refuses while another live process holds it, and takes over from a dead one', async () => {
    // pid 1 is alive on every system (init, or the container's tini).
    const live = ReceiptStore.open({ file: await leftBy(1) })!;
    expect(live.acquireRunner()).toBe(1);
    live.close();
    const dead = ReceiptStore.open({ file: await leftBy(2 ** 22 + 1) })!;
    expect(dead.acquireRunner()).toBeUndefined();
    dead.releaseRunner();
    dead.close();
  });
});
