import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRsyncBackend, createSftpBackend } from '../src/index.ts';
import { readServerFile, testBackend } from './conformance.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

// One real OpenSSH server for both SSH-based backends.
let sshd: SshdServer;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

const context = (name: string) => ({ name, logger: testLogger() });

testBackend('rsync over ssh', () => {
  const common = sshdSettings(sshd, 'rsync', join(sshd.dataDir, 'rsync'));
  return Promise.resolve({
    backend: createRsyncBackend(common, context('nas-rsync')),
    throttled: createRsyncBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'rsync', path)),
    serverPath: (path: string) => join(sshd.dataDir, 'rsync', path),
    teardown: () => Promise.resolve(),
  });
});

testBackend('sftp (ssh2-sftp-client, put)', () => {
  const common = sshdSettings(sshd, 'sftp', join(sshd.dataDir, 'sftp'));
  return Promise.resolve({
    backend: createSftpBackend(common, context('nas-sftp')),
    throttled: createSftpBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'sftp', path)),
    serverPath: (path: string) => join(sshd.dataDir, 'sftp', path),
    teardown: () => Promise.resolve(),
  });
});

describe('sftp against an SFTP-only account (ForceCommand internal-sftp)', () => {
  it('cannot run sha256sum there, so it verifies by reading the copy back', async () => {
    const only = await startSshd({ sftpOnly: true });
    const dir = await tempDir('imk-sftp-only-');
    try {
      const data = randomBytes(200_000);
      const localPath = join(dir.path, 'a.m4a');
      await writeFile(localPath, data);
      const backend = createSftpBackend(sshdSettings(only, 'sftp'), context('sftp-only'));
      const sha256 = createHash('sha256').update(data).digest('hex');
      const result = await backend.put({
        localPath,
        remotePath: join(only.dataDir, 'a.m4a'),
        bytes: data.length,
        sha256,
      });
      await backend.close();
      expect(result).toEqual({ bytes: data.length, verifiedBy: 'read-back' });
      expect(
        createHash('sha256')
          .update(await readFile(join(only.dataDir, 'a.m4a')))
          .digest('hex'),
      ).toBe(sha256);
    } finally {
      await dir.remove();
      await only.stop();
    }
  });
});

/** This process's open TCP connections to `port` on this host. */
function connectionsTo(port: number): Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (handle): handle is Socket => handle instanceof Socket && handle.remotePort === port && !handle.destroyed,
  );
}

/** Whether Nagle's algorithm is off on `socket`, as Node keeps it (the state setNoDelay last gave the socket). */
function noDelay(socket: Socket): boolean {
  const key = Object.getOwnPropertySymbols(socket).find((symbol) => symbol.description === 'kSetNoDelay');
  if (key === undefined) throw new Error(`node ${process.version} keeps no kSetNoDelay on a socket`);
  return (socket as unknown as Record<symbol, unknown>)[key] === true;
}

// Each SFTP request waits for its answer. With Nagle's algorithm on for the connection (a Node socket's
// default), a request written while the one before was not yet acknowledged waited for the server's delayed
// ACK (40 ms): a put of a small file, about 25 requests, took a second even to a server on this host, and a
// backlog of small files to a NAS went at a second each.
describe('sftp requests to a server on this host', () => {
  it('are not held back by delayed ACKs: Nagle is off on the connection that 20 puts of a small file go by', async () => {
    const dir = await tempDir('imk-sftp-latency-');
    const backend = createSftpBackend(
      sshdSettings(sshd, 'sftp', join(sshd.dataDir, 'sftp')),
      context('sftp-latency'),
    );
    try {
      const data = randomBytes(1000);
      const localPath = join(dir.path, 'a.m4a');
      await writeFile(localPath, data);
      const sha256 = createHash('sha256').update(data).digest('hex');
      await backend.stat('latency'); // connected (a login's cost is not what is timed)
      // Nagle's algorithm is off on the connection to the server: what held each request back (its state as
      // the socket itself keeps it, whatever the load of the machine).
      const toServer = connectionsTo(sshd.port);
      expect(toServer.length, 'connections from this process to the server').toBeGreaterThan(0);
      for (const socket of toServer) expect(noDelay(socket), 'Nagle off on the connection').toBe(true);
      // Before: 20 puts took 20-28 s on a quiet or a loaded machine alike (the delays are timers, 40 ms for
      // most of a put's 25 requests); now 1-3 s on a quiet machine. Not timed here: a loaded machine can make
      // the work itself take that long, and the socket's state above is what decides it.
      for (let i = 0; i < 20; i++)
        await backend.put({ localPath, remotePath: `latency/${i}/a.m4a`, bytes: data.length, sha256 });
      for (const socket of connectionsTo(sshd.port))
        expect(noDelay(socket), 'Nagle off after the puts').toBe(true);
      expect(await readServerFile(join(sshd.dataDir, 'sftp', 'latency', '19', 'a.m4a'))).toEqual(data);
    } finally {
      await backend.close();
      await dir.remove();
    }
  });
});
