// Our temporary copy removed by another process while it was written or checked (a cleanup job on the NAS
// that deletes hidden files, another program): the failure on the temp (ENOENT) used to be reported as
// UNREACHABLE, "destination … is not reachable", which also counts the whole destination down for the rest of
// the pass. It is TEMP_VANISHED now: retried, for this file only, naming the temp and saying what happened.
// Real local, rsync and SFTP (OpenSSH) backends, each copy slowed down so the temp can be removed while it is there.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalBackend,
  createRcloneBackend,
  createRsyncBackend,
  createSftpBackend,
  isRetryable,
  type PutResult,
  type SyncBackend,
} from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';
import { endStarted, sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

let sshd: SshdServer;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(() => endStarted(sshd));

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  dir = await tempDir('imk-temp-vanished-');
});
afterEach(() => dir.remove());

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function song(name: string, bytes: number) {
  const data = randomBytes(bytes);
  const localPath = join(dir.path, name);
  await writeFile(localPath, data);
  return { localPath, bytes, sha256: sha256(data) };
}

/** Waits for a temp name of `file` in `folder` (the positive signal), removes it, and returns its path. */
async function removeTempOf(folder: string, file: string): Promise<string> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(5)) {
    const names = await readdir(folder).catch(() => [] as string[]);
    const temp = names.find((name) => name.startsWith(`.${file}.`) && name.endsWith('.imk-tmp'));
    if (temp) {
      await rm(join(folder, temp));
      return join(folder, temp);
    }
  }
  throw new Error(`no temp of ${file} appeared in ${folder}`);
}

const settle = (put: Promise<PutResult>) =>
  put.then(
    () => undefined,
    (error: unknown) => error as { code?: string; message: string },
  );

const context = { name: 'nas', logger: testLogger(), tempOwner: 'abcd1234' };

describe('a temporary copy removed by another process', () => {
  it('local: TEMP_VANISHED naming the temp, retried; the next try delivers', async () => {
    const nas = join(dir.path, 'nas');
    const backend: SyncBackend = createLocalBackend(
      { type: 'local', root: nas, fsync: false, bandwidthLimit: '256K' },
      context,
    );
    const file = await song('a.m4a', 400_000);
    const put = settle(backend.put({ ...file, remotePath: 'Music/a.m4a' }));
    const temp = await removeTempOf(join(nas, 'Music'), 'a.m4a');
    const error = await put;
    expect({ code: error?.code, retryable: isRetryable(error) }, error?.message).toEqual({
      code: 'TEMP_VANISHED',
      retryable: true,
    });
    expect(error?.message).toContain(`another process removed our temporary copy ${temp}`);
    await expect(backend.put({ ...file, remotePath: 'Music/a.m4a' })).resolves.toMatchObject({
      bytes: 400_000,
    });
    expect(await readdir(join(nas, 'Music'))).toEqual(['a.m4a']);
  }, 30_000);

  it('rsync to a folder here: TEMP_VANISHED for that file, the other file of the run is delivered', async () => {
    const nas = join(dir.path, 'nas');
    const backend: SyncBackend = createRsyncBackend(
      { type: 'rsync', root: nas, bandwidthLimit: '256K' },
      context,
    );
    try {
      const first = await song('first.m4a', 100_000);
      const second = await song('second.m4a', 300_000);
      // One rsync run carries both; the first's temp is in place while the second is still on its way.
      const puts = [
        settle(backend.put({ ...first, remotePath: 'Music/first.m4a' })),
        backend.put({ ...second, remotePath: 'Music/second.m4a' }),
      ] as const;
      const temp = await removeTempOf(join(nas, 'Music'), 'first.m4a');
      const error = await puts[0];
      expect({ code: error?.code, retryable: isRetryable(error) }, error?.message).toEqual({
        code: 'TEMP_VANISHED',
        retryable: true,
      });
      expect(error?.message).toContain(`another process removed our temporary copy ${temp}`);
      await expect(puts[1]).resolves.toMatchObject({ bytes: 300_000 });
      await expect(backend.put({ ...first, remotePath: 'Music/first.m4a' })).resolves.toMatchObject({
        bytes: 100_000,
      });
    } finally {
      await backend.close();
    }
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['first.m4a', 'second.m4a']);
  }, 60_000);

  it('sftp: TEMP_VANISHED naming the temp (it said VERIFY_FAILED, "-1 bytes"); the next try delivers', async () => {
    const root = join(sshd.dataDir, 'vanished');
    const backend: SyncBackend = createSftpBackend(
      { ...sshdSettings(sshd, 'sftp', root), bandwidthLimit: '256K' },
      context,
    );
    try {
      const file = await song('s.m4a', 400_000);
      const put = settle(backend.put({ ...file, remotePath: 'Music/s.m4a' }));
      const temp = await removeTempOf(join(root, 'Music'), 's.m4a');
      const error = await put;
      expect({ code: error?.code, retryable: isRetryable(error) }, error?.message).toEqual({
        code: 'TEMP_VANISHED',
        retryable: true,
      });
      expect(error?.message).toContain(`another process removed our temporary copy ${temp}`);
      await expect(backend.put({ ...file, remotePath: 'Music/s.m4a' })).resolves.toMatchObject({
        bytes: 400_000,
      });
    } finally {
      await backend.close();
    }
    expect(await readdir(join(root, 'Music'))).toEqual(['s.m4a']);
  }, 60_000);

  it('rclone to a local remote: TEMP_VANISHED naming the temp; the next try delivers', async () => {
    const nas = join(dir.path, 'nas');
    const configFile = join(dir.path, 'rclone.conf');
    await writeFile(configFile, '[imklocal]\ntype = local\n');
    const backend: SyncBackend = createRcloneBackend(
      { type: 'rclone', remote: `imklocal:${nas}/`, configFile, bandwidthLimit: '256K' },
      context,
    );
    try {
      const file = await song('r.m4a', 400_000);
      const put = settle(backend.put({ ...file, remotePath: 'Music/r.m4a' }));
      const temp = await removeTempOf(join(nas, 'Music'), 'r.m4a');
      const error = await put;
      expect({ code: error?.code, retryable: isRetryable(error) }, error?.message).toEqual({
        code: 'TEMP_VANISHED',
        retryable: true,
      });
      expect(error?.message).toContain(`another process removed our temporary copy`);
      expect(error?.message).toContain(posix.basename(temp));
      await expect(backend.put({ ...file, remotePath: 'Music/r.m4a' })).resolves.toMatchObject({
        bytes: 400_000,
      });
    } finally {
      await backend.close();
    }
    expect(await readdir(join(nas, 'Music'))).toEqual(['r.m4a']);
  }, 60_000);
});
