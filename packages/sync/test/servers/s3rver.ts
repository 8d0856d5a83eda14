import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, waitForExit, waitForPort } from './processes.ts';

/** s3rver, a real S3-compatible HTTP server from npm, in its own process on a loopback port. */
export interface S3Server {
  endpoint: string;
  port: number;
  bucket: string;
  /** s3rver's fixed credentials. */
  accessKeyId: string;
  secretAccessKey: string;
  dataDir: string;
  start(): Promise<void>;
  /** Stops the server (the data stays, so start() brings the same bucket back). */
  halt(): Promise<void>;
  stop(): Promise<void>;
}

const S3RVER_BIN = join(
  dirname(createRequire(import.meta.url).resolve('s3rver/package.json')),
  'bin',
  's3rver.js',
);

export async function startS3rver(bucket = 'music'): Promise<S3Server> {
  const dataDir = await mkdtemp(join(tmpdir(), 'imk-s3rver-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: S3Server = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    dataDir,
    async start() {
      child = spawn(
        process.execPath,
        [
          S3RVER_BIN,
          '-d',
          dataDir,
          '-a',
          '127.0.0.1',
          '-p',
          String(port),
          '--silent',
          '--no-vhost-buckets',
          '--configure-bucket',
          bucket,
        ],
        { stdio: 'ignore' },
      );
      await waitForPort(port);
    },
    async halt() {
      const pid = child?.pid;
      child?.kill('SIGKILL');
      child = undefined;
      if (pid) await waitForExit(pid);
    },
    async stop() {
      await server.halt();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
