import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, createSyncEngine, type BackendOptions } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { capturingLogger, tempDir, testLogger } from './helpers.ts';
import { startS3rver, type S3Server } from './servers/index.ts';

let s3: S3Server;
let dir: { path: string; remove(): Promise<void> };
let receipts: ReceiptStore;
let clock: number;

beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.stop();
});
beforeEach(async () => {
  dir = await tempDir('imk-faults-s3-');
  receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
  clock = Date.now();
});
afterEach(async () => {
  receipts.close();
  await dir.remove();
});

const env = {
  S3_KEY: 'S3RVER',
  S3_SECRET: 'S3RVER',
  S3_BAD_KEY: 'NOT-A-KEY',
  S3_BAD_SECRET: 'not-the-secret',
};

function bucket(over: Partial<Extract<BackendOptions, { type: 's3' }>> = {}): BackendOptions {
  return {
    type: 's3',
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: { env: 'S3_KEY' },
    secretAccessKey: { env: 'S3_SECRET' },
    maxAttempts: 1,
    connectTimeoutSec: 2,
    ...over,
  };
}

function engineFor(backend: BackendOptions, logger = testLogger()) {
  return createSyncEngine({
    outputsDir: join(dir.path, 'outputs'),
    receipts,
    remoteRoots: { audio: 'library/audio' },
    backends: { bucket: backend },
    routes: [
      {
        name: 'audio',
        match: { kind: 'audio' },
        to: '${remoteRoots.audio}/{artist}/{title}.{ext}',
        backend: 'bucket',
      },
    ],
    logger,
    env,
    retry: { attemptsPerPass: 1, initialDelaySec: 30, maxDelaySec: 60 },
    now: () => clock,
  });
}

async function readObject(key: string): Promise<Buffer> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } finally {
    client.destroy();
  }
}

function s3Client(): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/**
 * A proxy in front of s3rver that, once our PUT of `key` is stored, lets another writer put its own object
 * there before our PUT's answer comes back: what a server ignoring If-None-Match does with two writers.
 */
async function anotherWriterAfterOurPut(
  key: string,
  theirs: Buffer,
): Promise<{ endpoint: string; server: Server }> {
  const target = new URL(s3.endpoint);
  let done = false;
  const server = createServer((incoming, outgoing) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        const ours = incoming.method === 'PUT' && incoming.url?.split('?')[0] === `/${s3.bucket}/${key}`;
        const relay = () => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        };
        if (!ours || done) return relay();
        done = true;
        const client = s3Client();
        void client
          .send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: theirs }))
          .finally(() => client.destroy())
          .then(relay, relay);
      },
    );
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * A proxy in front of s3rver that honours `If-None-Match: *` on the request that puts an object under its key
 * (a PUT, or the CompleteMultipartUpload of a multipart upload), as AWS S3 and MinIO do and s3rver does not,
 * and where another writer (a user copying by hand) puts its own object at `key` just before our write lands:
 * after our HEAD found the key free, before the object takes it.
 */
async function honouringServerWithAnotherWriter(
  key: string,
  theirs: Buffer,
): Promise<{ endpoint: string; server: Server }> {
  const target = new URL(s3.endpoint);
  const client = s3Client();
  let done = false;
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://proxy');
      const lands =
        decodeURIComponent(url.pathname) === `/${s3.bucket}/${key}` &&
        ((incoming.method === 'PUT' && !url.searchParams.has('uploadId')) ||
          (incoming.method === 'POST' && url.searchParams.has('uploadId')));
      const relay = () => {
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: incoming.method,
            path: incoming.url,
            headers: incoming.headers,
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        upstream.end(Buffer.concat(chunks));
      };
      if (!lands) return relay();
      void (async () => {
        if (!done) {
          done = true;
          await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: theirs }));
        }
        if (incoming.headers['if-none-match'] === '*') {
          outgoing.writeHead(412, { 'content-type': 'application/xml' });
          outgoing.end(
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
              '<Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
          );
          return;
        }
        relay();
      })();
    });
  });
  server.on('close', () => client.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('s3 faults (s3rver)', () => {
  it('another writer puts its object at our key right after our upload: it is kept (never deleted), ours arrives numbered', async () => {
    const contents = await writeJob(join(dir.path, 'outputs'), {
      jobId: 'race1',
      title: 'Raced',
      artifacts: [{ path: 'files/audio/a.m4a', size: 50_000 }],
    });
    const key = 'library/audio/Artist/Raced.m4a';
    const theirs = randomBytes(12_345);
    const proxy = await anotherWriterAfterOurPut(key, theirs);
    let summary;
    try {
      summary = await engineFor(bucket({ endpoint: proxy.endpoint })).runPass();
    } finally {
      proxy.server.close();
    }
    const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    // Theirs first: the old code deleted it once its own check of the key found another size.
    expect(sha(await readObject(key))).toBe(sha(theirs));
    expect(summary).toMatchObject({ delivered: 1, failed: 0 });
    expect(sha(await readObject('library/audio/Artist/Raced (2).m4a'))).toBe(
      sha(contents.get('files/audio/a.m4a')!),
    );
  });

  // A user's object that appears between the HEAD and our write is never replaced, whatever the upload's size:
  // the old code sent If-None-Match with single-part uploads only, and a multipart upload replaced it.
  it.each([
    ['a single-part upload', 100_000],
    ['a multipart upload', 6 * 1024 * 1024],
  ])(
    'an object written at our key after the HEAD, before %s lands: it is kept, ours arrives numbered',
    async (_what, size) => {
      const contents = await writeJob(join(dir.path, 'outputs'), {
        jobId: `byhand${size}`,
        title: `By Hand ${size}`,
        artifacts: [{ path: 'files/audio/a.m4a', size }],
      });
      // s3rver's bucket is shared by the file's tests: a key of each case's own.
      const key = `library/audio/Artist/By Hand ${size}.m4a`;
      const theirs = randomBytes(12_345);
      const proxy = await honouringServerWithAnotherWriter(key, theirs);
      const parts = { multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 };
      let summary;
      try {
        summary = await engineFor(bucket({ endpoint: proxy.endpoint, ...parts })).runPass();
      } finally {
        proxy.server.close();
      }
      const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
      expect(sha(await readObject(key))).toBe(sha(theirs));
      expect(summary).toMatchObject({ delivered: 1, failed: 0 });
      expect(sha(await readObject(`library/audio/Artist/By Hand ${size} (2).m4a`))).toBe(
        sha(contents.get('files/audio/a.m4a')!),
      );
    },
    60_000,
  );

  it('server down, then up: the artifact is delivered later', async () => {
    const contents = await writeJob(join(dir.path, 'outputs'), {
      jobId: 'down1',
      title: 'Later',
      artifacts: [{ path: 'files/audio/a.m4a', size: 200_000 }],
    });
    await s3.halt();
    try {
      const down = await engineFor(bucket()).runPass();
      expect(down).toMatchObject({ delivered: 0, failed: 1 });
      expect(down.outcomes[0]).toMatchObject({ final: false, errorCode: 'UNREACHABLE' });
    } finally {
      await s3.start();
    }
    clock += 120_000;
    const up = await engineFor(bucket()).runPass();
    expect(up).toMatchObject({ delivered: 1, failed: 0 });
    const data = await readObject('library/audio/Artist/Later.m4a');
    expect(createHash('sha256').update(data).digest('hex')).toBe(
      createHash('sha256').update(contents.get('files/audio/a.m4a')!).digest('hex'),
    );
  });

  it('wrong credentials are a clear final error, reported once, and never logged', async () => {
    for (const id of ['c1', 'c2'])
      await writeJob(join(dir.path, 'outputs'), { jobId: id, artifacts: [{ path: 'files/audio/x.m4a' }] });
    const { logger, lines } = capturingLogger();
    // s3rver checks the access key id but not SigV4 signatures, so the key id is what is wrong here.
    const wrong = bucket({ accessKeyId: { env: 'S3_BAD_KEY' }, secretAccessKey: { env: 'S3_BAD_SECRET' } });
    const summary = await engineFor(wrong, logger).runPass();
    expect(summary).toMatchObject({ delivered: 0, failed: 2 });
    for (const outcome of summary.outcomes)
      expect(outcome).toMatchObject({ final: true, errorCode: 'AUTH_FAILED' });
    expect(summary.outcomes[0]?.error).toMatch(/SignatureDoesNotMatch|InvalidAccessKeyId/);
    expect(summary.outcomes[0]?.error).toMatch(/check accessKeyId and secretAccessKey/);
    expect(lines().filter((l) => l.level === 50)).toHaveLength(1);
    expect(JSON.stringify(lines())).not.toContain('not-the-secret');
  });
});
