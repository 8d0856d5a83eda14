import { randomBytes } from 'node:crypto';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiptStore, RouteSchema, createSyncEngine } from '../src/index.ts';
import { readServerFile } from './conformance.ts';
import { testDelivery } from './delivery.ts';
import { writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';
import {
  endStarted,
  sshdSettings,
  startAll,
  startRcloneSftp,
  startS3rver,
  startSshd,
  type RcloneServers,
  type S3Server,
  type SshdServer,
} from './servers/index.ts';

// One of each real server for the whole file: OpenSSH (rsync and SFTP), s3rver, rclone serve sftp.
let sshd: SshdServer;
let s3: S3Server;
let rclone: RcloneServers;
// startAll ends the others when one fails to start (a destructured Promise.all left them running).
beforeAll(async () => {
  ({ sshd, s3, rclone } = await startAll({ sshd: startSshd, s3: startS3rver, rclone: startRcloneSftp }));
});
afterAll(async () => {
  await Promise.all([endStarted(sshd), endStarted(s3), endStarted(rclone)]);
});

let n = 0;
const fresh = (prefix: string) => () => `${prefix}/t${++n}-${randomBytes(3).toString('hex')}`;

testDelivery('local folder', async () => {
  const dir = await tempDir('imk-delivery-nas-');
  return {
    options: { type: 'local', fsync: false },
    base: fresh(dir.path),
    readRemote: readServerFile,
    teardown: dir.remove,
  };
});

testDelivery('rsync over ssh', () => {
  return Promise.resolve({
    options: sshdSettings(sshd, 'rsync', join(sshd.dataDir, 'rsync')),
    base: fresh('/nas'),
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'rsync', path)),
  });
});

testDelivery('sftp', () => {
  return Promise.resolve({
    options: sshdSettings(sshd, 'sftp', join(sshd.dataDir, 'sftp')),
    base: fresh('/nas'),
    readRemote: (path: string) => readServerFile(join(sshd.dataDir, 'sftp', path)),
  });
});

testDelivery('s3 (s3rver)', () => {
  const reader = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  return Promise.resolve({
    options: {
      type: 's3',
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: { env: 'TEST_S3_KEY' },
      secretAccessKey: { env: 'TEST_S3_KEY' },
      // s3rver keeps each object as a file named `<key>._S3rver_metadata.json`: 22 bytes of every name.
      maxNameBytes: 255 - '._S3rver_metadata.json'.length,
    },
    env: { ...process.env, TEST_S3_KEY: s3.accessKeyId },
    base: fresh('nas'),
    readRemote: async (path: string) => {
      const object = await reader.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: path.replace(/^\/+/, '') }),
      );
      return Buffer.from(await object.Body!.transformToByteArray());
    },
    teardown: () => Promise.resolve(reader.destroy()),
  });
});

testDelivery('rclone (rclone serve sftp)', () =>
  Promise.resolve({
    options: { type: 'rclone', remote: 'imksftp:', configFile: rclone.configFile },
    base: fresh('nas'),
    readRemote: (path: string) => readServerFile(join(rclone.servedDir, path)),
  }),
);

describe('delivery through the local backend: links', () => {
  it('refuses a destination subfolder that is a symlink out of the remote root; the other routes go on', async () => {
    const dir = await tempDir('imk-delivery-link-');
    const receipts = ReceiptStore.open({ file: join(dir.path, 'nas-sync.sqlite') })!;
    try {
      const nas = join(dir.path, 'nas');
      const home = join(dir.path, 'home');
      await mkdir(join(nas, 'audio'), { recursive: true });
      await mkdir(home);
      await symlink(home, join(nas, 'audio', 'Instrumental'));
      await writeJob(join(dir.path, 'outputs'), {
        jobId: 'job_l',
        artifacts: [
          { path: 'files/a.m4a', variant: 'instrumental' },
          { path: 'files/b.m4a', variant: 'no_drums' },
        ],
      });
      const summary = await createSyncEngine({
        outputsDir: join(dir.path, 'outputs'),
        receipts,
        routes: [
          RouteSchema.parse({ variant: 'instrumental', to: '${remoteRoots.audio}/Instrumental' }),
          RouteSchema.parse({ variant: 'no_drums', to: '${remoteRoots.audio}/NoDrums' }),
        ],
        remoteRoots: { audio: join(nas, 'audio') },
        backends: {},
        logger: testLogger(),
      }).runPass();
      expect(summary).toMatchObject({ delivered: 1, failed: 1 });
      expect(summary.outcomes.find((o) => o.status === 'failed')?.errorCode).toBe('DESTINATION_UNSAFE');
      expect(await readdir(home)).toEqual([]);
      expect(await readdir(join(nas, 'audio', 'NoDrums'))).toEqual(['b.m4a']);
    } finally {
      receipts.close();
      await dir.remove();
    }
  });
});
