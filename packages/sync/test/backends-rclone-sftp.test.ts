import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { firstOutput } from '@imk/fs-safe/testing';
import { createRcloneBackend, createSftpBackend } from '../src/index.ts';
import { RCLONE_BURST_BYTES, readServerFile, testBackend } from './conformance.ts';
import { tempDir, testLogger } from './helpers.ts';
import { alive, descendants, startRcloneSftp, waitForExit, type RcloneServers } from './servers/index.ts';

let servers: RcloneServers;
beforeAll(async () => {
  servers = await startRcloneSftp();
});
afterAll(async () => {
  await servers?.stop();
});

const context = (name: string) => ({ name, logger: testLogger() });

testBackend('rclone to `rclone serve sftp`', () => {
  const common = { type: 'rclone' as const, remote: 'imksftp:', configFile: servers.configFile };
  return Promise.resolve({
    backend: createRcloneBackend(common, context('rclone-sftp')),
    throttled: createRcloneBackend({ ...common, bandwidthLimit: '1M' }, context('slow')),
    burstBytes: RCLONE_BURST_BYTES,
    base: 'music',
    readRemote: (path: string) => readServerFile(join(servers.servedDir, path)),
    serverPath: (path: string) => join(servers.servedDir, path),
    hidesSpecialFiles: true,
    teardown: () => Promise.resolve(),
  });
});

describe('rclone backend specifics', () => {
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  it('a key the server refuses is a clear final error', async () => {
    const dir = await tempDir('imk-rclone-auth-');
    try {
      const localPath = join(dir.path, 'a.m4a');
      const data = randomBytes(1000);
      await writeFile(localPath, data);
      const backend = createRcloneBackend(
        { type: 'rclone', remote: 'imksftpwrong:', configFile: servers.configFile },
        context('wrong'),
      );
      const error = await backend
        .put({ localPath, remotePath: 'auth/a.m4a', bytes: data.length, sha256: sha(data) })
        .catch((e: unknown) => e);
      await backend.close();
      expect(isImkError(error, 'AUTH_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/refused the login/);
    } finally {
      await dir.remove();
    }
  });

  it('leaves no rclone daemon behind: not after close(), not after nas-sync is SIGKILLed', async () => {
    // `rclone serve sftp` (the test server) is a child of this process too: count only new ones.
    const server = new Set(descendants(process.pid).map((p) => p.pid));
    const rcds = () => descendants(process.pid).filter((p) => p.comm === 'rclone' && !server.has(p.pid));
    const backend = createRcloneBackend(
      { type: 'rclone', remote: 'imksftp:', configFile: servers.configFile },
      context('x'),
    );
    await backend.stat('nothing/here');
    expect(rcds().length).toBe(1);
    await backend.close();
    expect(rcds()).toEqual([]);

    // A child process that starts a daemon and is then killed without a chance to clean up.
    const script = `
      import { createRcloneBackend } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))};
      import { createLogger } from '@imk/log';
      const b = createRcloneBackend({ type: 'rclone', remote: 'imksftp:', configFile: ${JSON.stringify(servers.configFile)} }, { name: 'x', logger: createLogger('t', { level: 'silent' }) });
      await b.stat('nothing/here');
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    `;
    const child = execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
      reject: false,
      cwd: join(import.meta.dirname, '..'),
    });
    await firstOutput(child, 'the child process that starts an rclone daemon');
    const daemons = descendants(child.pid!).filter((p) => p.comm === 'rclone');
    expect(daemons.length).toBe(1);
    child.kill('SIGKILL');
    await child;
    await waitForExit(daemons[0]!.pid, 5000);
    expect(
      alive(daemons[0]!.pid),
      `the rclone daemon (pid ${daemons[0]!.pid}) still runs 5 s after its parent was SIGKILLed`,
    ).toBe(false);
  });
});

// Go's pkg/sftp, which SFTPGo and `rclone serve sftp` are built on, lets a plain SFTP rename replace an existing
// file, where OpenSSH's server refuses it: the sftp backend's move into place was its only check after the
// upload began, so a file written under the name during the upload was replaced without a word.
describe('the sftp backend against a server whose rename replaces (rclone serve sftp, as SFTPGo)', () => {
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  it('a file a user writes under the name while the upload is under way is kept: a conflict, ours not placed', async () => {
    const dir = await tempDir('imk-sftp-go-');
    const backend = createSftpBackend(
      {
        type: 'sftp',
        host: '127.0.0.1',
        port: servers.port,
        username: 'imk',
        privateKeyFile: join(dirname(servers.configFile), 'client_ed25519'),
        knownHostsFile: join(dir.path, 'known_hosts'),
        hostKeyCheck: 'accept-new',
        // About 1.5 s of upload: the user's file lands while it runs.
        bandwidthLimit: '1M',
      },
      context('go-sftp'),
    );
    try {
      const data = randomBytes(1_500_000);
      const localPath = join(dir.path, 'a.m4a');
      await writeFile(localPath, data);
      const folder = join(servers.servedDir, 'by-hand');
      await mkdir(folder, { recursive: true });
      const put = backend
        .put({ localPath, remotePath: 'by-hand/Song.m4a', bytes: data.length, sha256: sha(data) })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      // The upload is under way once its temporary copy is on the server.
      while (!(await readdir(folder)).some((name) => name.includes('.imk-tmp'))) await sleep(10);
      await writeFile(join(folder, 'Song.m4a'), 'copied by hand');
      const error = await put;
      expect(isImkError(error, 'CONFLICT'), String(error)).toBe(true);
      expect(await readFile(join(folder, 'Song.m4a'), 'utf8')).toBe('copied by hand');
      expect(await readdir(folder)).toEqual(['Song.m4a']);
    } finally {
      await backend.close();
      await dir.remove();
    }
  }, 30_000);
});
