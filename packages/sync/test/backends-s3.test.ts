import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { createS3Backend, type S3Options } from '../src/index.ts';
import { testBackend } from './conformance.ts';
import { tempDir, testLogger } from './helpers.ts';
import { startS3rver, type S3Server } from './servers/index.ts';

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});

const context = (name: string) => ({
  name,
  logger: testLogger(),
  env: { ...process.env, TEST_S3_KEY: s3.accessKeyId },
});

testBackend('s3 (s3rver, path style, multipart above 8 MiB)', () => {
  const options: S3Options = {
    type: 's3',
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    prefix: 'library',
    accessKeyId: { env: 'TEST_S3_KEY' },
    secretAccessKey: { env: 'TEST_S3_KEY' },
    multipartThreshold: 8 * 1024 * 1024,
    partSize: 5 * 1024 * 1024,
  };
  // An independent reader: a plain SDK client, not the backend.
  const reader = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  return Promise.resolve({
    backend: createS3Backend(options, context('bucket')),
    throttled: createS3Backend({ ...options, bandwidthLimit: '1M' }, context('slow')),
    base: 'music',
    nameBytes: 255 - '._S3rver_metadata.json'.length,
    readRemote: async (path: string) => {
      const object = await reader.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `library/${path}` }));
      return Buffer.from(await object.Body!.transformToByteArray());
    },
    teardown: () => {
      reader.destroy();
      return Promise.resolve();
    },
  });
});

describe('s3 verification against s3rver', () => {
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  async function putWith(options: Partial<S3Options>, size: number) {
    const dir = await tempDir('imk-s3-verify-');
    try {
      const data = randomBytes(size);
      const localPath = join(dir.path, 'a.m4a');
      await writeFile(localPath, data);
      const backend = createS3Backend(
        {
          type: 's3',
          bucket: s3.bucket,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          accessKeyId: { env: 'TEST_S3_KEY' },
          secretAccessKey: { env: 'TEST_S3_KEY' },
          multipartThreshold: 6 * 1024 * 1024,
          partSize: 5 * 1024 * 1024,
          ...options,
        },
        context('verify'),
      );
      const remotePath = `verify/${randomBytes(4).toString('hex')}.m4a`;
      try {
        return {
          result: await backend.put({ localPath, remotePath, bytes: data.length, sha256: sha(data) }),
          backend,
          remotePath,
        };
      } catch (error) {
        return { error, backend, remotePath };
      }
    } finally {
      await dir.remove();
    }
  }

  it('checks the server MD5 ETag of what it stored against the bytes sent, single part and multipart', async () => {
    for (const size of [100_000, 11 * 1024 * 1024]) {
      const { result, backend } = await putWith({}, size);
      expect(result).toEqual({ bytes: size, verifiedBy: 'server-checksum' });
      await backend.close();
    }
  });

  it('reads the object back when asked to', async () => {
    const { result, backend } = await putWith({ hashMethod: 'read-back' }, 100_000);
    expect(result).toEqual({ bytes: 100_000, verifiedBy: 'read-back' });
    await backend.close();
  });

  it("catches s3rver storing the SDK's streaming checksum framing (WHEN_SUPPORTED) and leaves no object", async () => {
    const { error, backend, remotePath } = await putWith(
      { requestChecksumCalculation: 'WHEN_SUPPORTED' },
      100_000,
    );
    expect(isImkError(error, 'VERIFY_FAILED')).toBe(true);
    expect(await backend.stat(remotePath)).toBeUndefined();
    await backend.close();
  });
});
