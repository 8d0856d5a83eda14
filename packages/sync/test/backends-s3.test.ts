import { afterAll, beforeAll } from 'vitest';
import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
import { createS3Backend, type S3Options } from '../src/index.ts';
import { testBackend } from './conformance.ts';
import { testLogger } from './helpers.ts';
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
