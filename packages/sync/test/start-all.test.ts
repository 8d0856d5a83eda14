// Test files started their servers with `[a, b, c] = await Promise.all([...])`: when one failed to start,
// the others were never assigned and afterAll could not stop them, so an sshd (or s3rver) kept running
// after the test run, holding its port and temp folder. startAll ends what started before it throws.
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startAll, startSshd, type SshdServer } from './servers/index.ts';

const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('starting test servers together', () => {
  it('stops a server that started when another one fails to start, and says why the other failed', async () => {
    let started: SshdServer | undefined;
    await expect(
      startAll({
        sshd: async () => (started = await startSshd()),
        s3: () => Promise.reject(new Error('s3rver: port in use')),
      }),
    ).rejects.toThrow('s3rver: port in use');
    expect(started).toBeDefined();
    expect(await listening(started!.port)).toBe(false);
    expect(existsSync(started!.dir)).toBe(false);
  }, 30_000);

  it('gives every started server by name when all start', async () => {
    const { a, b } = await startAll({ a: startSshd, b: startSshd });
    try {
      expect(await listening(a.port)).toBe(true);
      expect(await listening(b.port)).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 30_000);
});
