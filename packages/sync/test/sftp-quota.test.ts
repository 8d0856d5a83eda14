// An SFTP server that says the user's quota is exceeded (SSH_FX_QUOTA_EXCEEDED, status 15, of SFTP
// version 5 and later; 14 is SSH_FX_NO_SPACE_ON_FILESYSTEM). Before, a status 15 with no
// message reached the user as TRANSFER_FAILED "Unknown status", retried like a dropped connection, with
// nothing saying the destination is full. Now it is REMOTE_FULL, the out-of-space class of ENOSPC and
// EDQUOT, naming the route, the backend, the file and what to do; nothing partial is left.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSftpBackend, isRetryable } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

const CASES = [
  { name: 'quota exceeded, said', status: 15, message: 'Disk quota exceeded', says: /quota is exceeded/ },
  { name: 'quota exceeded, no words', status: 15, message: '', says: /quota is exceeded \(SFTP status 15\)/ },
  { name: 'no space on the filesystem, no words', status: 14, message: '', says: /filesystem is full/ },
] as const;

const servers: SshdServer[] = [];
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('imk-sftp-quota-');
  for (const c of CASES)
    servers.push(await startSshd({ quota: { bytes: 100_000, status: c.status, message: c.message } }));
});
afterAll(async () => {
  await Promise.all([...servers.map((s) => s.stop()), dir?.remove()]);
});

describe('sftp: the server says the quota or the filesystem is full', () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))(
    '%s: REMOTE_FULL naming the route, backend and file; nothing partial; a file that fits is delivered',
    async (_name, index) => {
      const sshd = servers[index]!;
      const root = join(sshd.dataDir, 'sftp');
      await mkdir(join(root, 'Music'), { recursive: true });
      const backend = createSftpBackend(sshdSettings(sshd, 'sftp', root), {
        name: 'nas',
        logger: testLogger(),
      });
      const put = async (name: string, bytes: number) => {
        const data = randomBytes(bytes);
        const localPath = join(dir.path, `${index}-${name}`);
        await writeFile(localPath, data);
        return backend.put({
          localPath,
          remotePath: `Music/${name}`,
          route: 'music',
          bytes,
          sha256: createHash('sha256').update(data).digest('hex'),
        });
      };
      try {
        const error = await put('Song (instrumental).m4a', 300_000).then(
          () => undefined,
          (reason: unknown) => reason as { code?: string; message: string },
        );
        expect(error?.code).toBe('REMOTE_FULL');
        expect(error?.message).toMatch(/route "music" \(backend "nas"\)/);
        expect(error?.message).toContain('Music/Song (instrumental).m4a');
        expect(error?.message).toMatch(CASES[index]!.says);
        expect(error?.message).toMatch(/Free space on the destination \(or raise the quota\)/);
        // Out of space passes when a person frees some: tried again later, as ENOSPC is.
        expect(isRetryable(error)).toBe(true);
        expect(await readdir(join(root, 'Music'))).toEqual([]);
        await expect(put('small.m4a', 50_000)).resolves.toMatchObject({ bytes: 50_000 });
        expect(await readdir(join(root, 'Music'))).toEqual(['small.m4a']);
      } finally {
        await backend.close();
      }
    },
    30_000,
  );
});
