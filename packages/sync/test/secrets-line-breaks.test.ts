import { createHash, randomBytes } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isImkError } from '@imk/errors';
import { createRsyncBackend, createS3Backend, createSftpBackend, type SyncBackend } from '../src/index.ts';
import { readServerFile } from './conformance.ts';
import { tempDir, testLogger } from './helpers.ts';
import { startAll, startS3rver, startSshd, type S3Server, type SshdServer } from './servers/index.ts';

// A secret handed over as a variable made from a file (a Kubernetes or Docker secret, `$(cat key)`) ends in
// a line break. Every backend reads secrets through @imk/config's one rule: that line break is dropped, and
// one inside the secret is an error that names the variable, never the value.

let s3: S3Server;
let sshd: SshdServer;
let work: { path: string; remove: () => Promise<void> };
let song: { localPath: string; bytes: number; sha256: string; data: Buffer };
beforeAll(async () => {
  ({ s3, sshd, work } = await startAll({
    s3: startS3rver,
    sshd: startSshd,
    work: () => tempDir('imk-secret-nl-'),
  }));
  const data = randomBytes(50_000);
  const localPath = join(work.path, 'a.m4a');
  await writeFile(localPath, data);
  song = { localPath, data, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
});
afterAll(async () => {
  await Promise.all([s3?.stop(), sshd?.stop(), work?.remove()]);
});

const context = (env: NodeJS.ProcessEnv) => ({
  name: 'nas',
  logger: testLogger(),
  env: { ...process.env, ...env },
});

async function deliver(backend: SyncBackend, remotePath: string): Promise<void> {
  try {
    await backend.put({ localPath: song.localPath, remotePath, bytes: song.bytes, sha256: song.sha256 });
  } finally {
    await backend.close();
  }
}

// An independent reader with the plain credentials: a plain SDK client, not the backend.
async function readS3(key: string): Promise<Buffer> {
  const reader = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    const object = await reader.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } finally {
    reader.destroy();
  }
}

const s3Options = {
  type: 's3' as const,
  forcePathStyle: true,
  accessKeyId: { env: 'NAS_S3_KEY_ID' },
  secretAccessKey: { env: 'NAS_S3_SECRET' },
};

describe('secrets with a line break, against real servers', () => {
  it('s3: a key id and a secret key ending in a line break deliver (s3rver checks the signature)', async () => {
    const backend = createS3Backend(
      { ...s3Options, bucket: s3.bucket, endpoint: s3.endpoint },
      context({ NAS_S3_KEY_ID: `${s3.accessKeyId}\n`, NAS_S3_SECRET: `${s3.secretAccessKey}\r\n` }),
    );
    await deliver(backend, 'nl/a.m4a');
    expect((await readS3('nl/a.m4a')).equals(song.data)).toBe(true);
  });

  it("s3 with no keys in the config: the SDK chain's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY ending in a line break deliver", async () => {
    const backend = createS3Backend(
      { type: 's3', forcePathStyle: true, bucket: s3.bucket, endpoint: s3.endpoint },
      context({ AWS_ACCESS_KEY_ID: `${s3.accessKeyId}\n`, AWS_SECRET_ACCESS_KEY: `${s3.secretAccessKey}\n` }),
    );
    await deliver(backend, 'chain/a.m4a');
    expect((await readS3('chain/a.m4a')).equals(song.data)).toBe(true);
  });

  it('s3: a line break inside the secret key is an error naming the variable, never the value', () => {
    let failure: unknown;
    try {
      createS3Backend(
        { ...s3Options, bucket: s3.bucket, endpoint: s3.endpoint },
        context({ NAS_S3_KEY_ID: s3.accessKeyId, NAS_S3_SECRET: 'topsecret-part-one\ntopsecret-part-two\n' }),
      );
    } catch (error) {
      failure = error;
    }
    expect(isImkError(failure, 'SECRET_INVALID')).toBe(true);
    const message = (failure as Error).message;
    expect(message).toContain('secretAccessKey');
    expect(message).toContain('NAS_S3_SECRET');
    expect(message).toMatch(/line break/);
    expect(message).not.toContain('topsecret');
  });

  it("sftp: a key's passphrase ending in a line break unlocks the key", async () => {
    const key = join(work.path, 'locked_ed25519');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'pass-phrase-42', '-C', 'locked', '-f', key]);
    await appendFile(join(sshd.dir, 'authorized_keys'), await readFile(`${key}.pub`));
    const backend = createSftpBackend(
      {
        type: 'sftp',
        host: sshd.host,
        port: sshd.port,
        username: 'root',
        privateKeyFile: key,
        passphrase: { env: 'NAS_KEY_PASSPHRASE' },
        knownHostsFile: sshd.knownHosts,
        root: join(sshd.dataDir, 'sftp-nl'),
      },
      context({ NAS_KEY_PASSPHRASE: 'pass-phrase-42\n' }),
    );
    await deliver(backend, 'a.m4a');
    expect((await readServerFile(join(sshd.dataDir, 'sftp-nl', 'a.m4a'))).equals(song.data)).toBe(true);
  });

  it('rsync: a key path from a variable ending in a line break finds the key', async () => {
    const backend = createRsyncBackend(
      {
        type: 'rsync',
        host: sshd.host,
        port: sshd.port,
        username: 'root',
        privateKeyFile: { env: 'NAS_KEY_PATH' },
        knownHostsFile: sshd.knownHosts,
        root: join(sshd.dataDir, 'rsync-nl'),
      },
      context({ NAS_KEY_PATH: `${sshd.clientKey}\n` }),
    );
    await deliver(backend, 'a.m4a');
    expect((await readServerFile(join(sshd.dataDir, 'rsync-nl', 'a.m4a'))).equals(song.data)).toBe(true);
  });

  it('a secret file ending in a line break is read without it; one with two lines names the file', async () => {
    const good = join(work.path, 's3-secret');
    await writeFile(good, `${s3.secretAccessKey}\n`);
    const backend = createS3Backend(
      { ...s3Options, secretAccessKey: { file: good }, bucket: s3.bucket, endpoint: s3.endpoint },
      context({ NAS_S3_KEY_ID: s3.accessKeyId }),
    );
    await deliver(backend, 'file/a.m4a');
    expect((await readS3('file/a.m4a')).equals(song.data)).toBe(true);
    const twoLines = join(work.path, 's3-two-lines');
    await writeFile(twoLines, 'topsecret-old\ntopsecret-new\n');
    const failure = (() => {
      try {
        createS3Backend(
          { ...s3Options, secretAccessKey: { file: twoLines }, bucket: s3.bucket, endpoint: s3.endpoint },
          context({ NAS_S3_KEY_ID: s3.accessKeyId }),
        );
      } catch (error) {
        return error as Error;
      }
      return undefined;
    })();
    expect(failure?.message).toContain(twoLines);
    expect(failure?.message).not.toContain('topsecret');
  });
});
