import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { SecretRefSchema, timerMax } from '@imk/config';
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { isImkError } from '@imk/errors';
import type { BackendContext, PutRequest, PutResult, SyncBackend } from '../types.ts';
import { createThrottle } from '../util/bandwidth.ts';
import { hashStream } from '../util/hashing.ts';
import { joinRemote } from '../util/remote-path.ts';
import { readOptionalSecret, readSecret } from '../util/secrets.ts';
import { syncError } from '../errors.ts';
import { BackendBaseSchema, withLocalFile, mismatchError, settleExisting } from './common.ts';
import { classifyS3Error, isNotFound } from './s3-errors.ts';
import { uploadObject, type Uploaded } from './s3-upload.ts';

export const S3_BACKEND = 's3';

const MiB = 1024 * 1024;

// What a key left out means: the SDK looks for it itself.
const SDK_CHAIN = `${SecretRefSchema.description ?? ''} @default the AWS SDK chain`;

export const S3OptionsSchema = BackendBaseSchema.extend({
  type: z.literal(S3_BACKEND).describe('An S3 bucket, on AWS or an S3-compatible server.'),
  bucket: z.string().min(1).describe('The bucket the files go to.'),
  prefix: z.string().default('').describe('Key prefix that route paths are relative to, e.g. "music/".'),
  region: z
    .string()
    .default('us-east-1')
    .describe("Region the requests are signed for (on AWS, the bucket's)."),
  endpoint: z
    .url()
    .optional()
    .describe('For S3-compatible servers (MinIO, Garage, a NAS): e.g. http://nas:9000. @default AWS'),
  forcePathStyle: z
    .boolean()
    .default(false)
    .describe('Address buckets as endpoint/bucket (most S3-compatible servers need true).'),
  accessKeyId: SecretRefSchema.optional().describe(
    `Absent, the AWS SDK finds the keys itself (AWS_ACCESS_KEY_ID, profiles, roles). ${SDK_CHAIN}`,
  ),
  secretAccessKey: SecretRefSchema.optional().describe(SDK_CHAIN),
  sessionToken: SecretRefSchema.optional().describe(SDK_CHAIN),
  requestChecksumCalculation: z
    .enum(['WHEN_REQUIRED', 'WHEN_SUPPORTED'])
    .default('WHEN_REQUIRED')
    .describe(
      'WHEN_SUPPORTED adds CRC trailers that several S3-compatible servers store as part of the object.',
    ),
  responseChecksumValidation: z
    .enum(['WHEN_REQUIRED', 'WHEN_SUPPORTED'])
    .default('WHEN_REQUIRED')
    .describe(
      'AWS SDK setting: WHEN_SUPPORTED checks the checksums a server sends with every response; WHEN_REQUIRED only where an operation requires it.',
    ),
  serverChecksum: z
    .boolean()
    .default(false)
    .describe(
      'Send the manifest sha256 as x-amz-checksum-sha256 so the server checks it on upload (AWS S3 does).',
    ),
  // 100 MiB, as AWS advises (rclone's cutoff is 200 MiB).
  multipartThreshold: z
    .number()
    .int()
    .positive()
    .default(100 * MiB)
    .describe('Files this large or larger go up in parts.'),
  partSize: z
    .number()
    .int()
    .min(5 * MiB)
    .default(16 * MiB)
    .describe('Bytes per part of a multipart upload (at least 5 MiB).'),
  queueSize: z.number().int().positive().default(4).describe('Parts in flight per file.'),
  storageClass: z
    .string()
    .optional()
    .describe("Storage class of the uploaded objects, e.g. STANDARD_IA; unset = the server's default."),
  hashMethod: z
    .enum(['auto', 'server', 'read-back'])
    .default('auto')
    .describe(
      "How sha256 is checked: the server's checksum or MD5 ETag of what it stored against the bytes sent (server), reading the object back (read-back), or server with read-back when the ETag is not an MD5 (auto).",
    ),
  maxAttempts: z.number().int().positive().default(3).describe('Attempts per request inside the AWS SDK.'),
  connectTimeoutSec: z
    .number()
    .positive()
    .max(...timerMax('seconds'))
    .default(10)
    .describe('Seconds allowed to open a connection to the server.'),
});
export type S3Options = z.input<typeof S3OptionsSchema>;

const etagOf = (tag: string | undefined): string | undefined => tag?.replace(/"/g, '');

/** S3 and S3-compatible object stores. An object appears whole or not at all, so no temporary key is used. */
export function createS3Backend(input: S3Options, context: BackendContext): SyncBackend {
  const options = S3OptionsSchema.parse(input);
  const env = context.env ?? process.env;
  let accessKeyId = readOptionalSecret(options.accessKeyId, 'accessKeyId', env);
  let secretAccessKey = readOptionalSecret(options.secretAccessKey, 'secretAccessKey', env);
  let sessionToken = readOptionalSecret(options.sessionToken, 'sessionToken', env);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    throw syncError(
      'BACKEND_CONFIG_INVALID',
      `s3 backend "${context.name}": give both accessKeyId and secretAccessKey, or neither`,
    );
  // Neither given: the AWS SDK's chain would take AWS_ACCESS_KEY_ID… first, as they are (a variable made
  // from a file ends in a line break, and every request is then refused). Read by the one secret rule
  // instead; the rest of the chain (profile, role) is unchanged.
  if (accessKeyId === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    accessKeyId = readSecret({ env: 'AWS_ACCESS_KEY_ID' }, 'accessKeyId (from the SDK chain)', env);
    secretAccessKey = readSecret(
      { env: 'AWS_SECRET_ACCESS_KEY' },
      'secretAccessKey (from the SDK chain)',
      env,
    );
    sessionToken = env.AWS_SESSION_TOKEN
      ? readSecret({ env: 'AWS_SESSION_TOKEN' }, 'sessionToken (from the SDK chain)', env)
      : undefined;
  }
  const throttle = options.bandwidthLimit ? createThrottle(options.bandwidthLimit) : undefined;
  const where = `s3 backend "${context.name}" (bucket ${options.bucket})`;
  let client: Promise<S3Client> | undefined;

  async function makeClient(): Promise<S3Client> {
    // Lazy: the AWS SDK loads only when an S3 backend is used.
    const { S3Client: Client } = await import('@aws-sdk/client-s3');
    return new Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials:
        accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken } : undefined,
      requestChecksumCalculation: options.requestChecksumCalculation,
      responseChecksumValidation: options.responseChecksumValidation,
      maxAttempts: options.maxAttempts,
      requestHandler: { connectionTimeout: options.connectTimeoutSec * 1000, socketTimeout: 120_000 },
      // The SDK writes to the console unless given a logger; its messages are debug detail for us.
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (...args: unknown[]) =>
          context.logger.debug({ sdk: args.map(String).join(' ') }, 'aws sdk warning'),
        error: (...args: unknown[]) =>
          context.logger.debug({ sdk: args.map(String).join(' ') }, 'aws sdk error'),
      },
    });
  }
  const getClient = (): Promise<S3Client> => (client ??= makeClient());
  const keyOf = (remotePath: string): string => joinRemote(options.prefix, remotePath).replace(/^\/+/, '');
  const sdk = () => import('@aws-sdk/client-s3');

  async function run<T>(action: string, work: (s3: S3Client) => Promise<T>): Promise<T> {
    try {
      return await work(await getClient());
    } catch (error) {
      throw isImkError(error) ? error : classifyS3Error(error, `${where}: ${action}`);
    }
  }

  // Cleared when the server answers a conditional PUT with 501 Not Implemented.
  let conditionalWrites = true;
  const uploadSettings = { ...options, throttle };
  const upload = (s3: S3Client, request: PutRequest, read: string, key: string): Promise<Uploaded> =>
    uploadObject(s3, uploadSettings, request, read, key, conditionalWrites);

  async function head(s3: S3Client, key: string) {
    const { HeadObjectCommand } = await sdk();
    try {
      return await s3.send(
        new HeadObjectCommand({
          Bucket: options.bucket,
          Key: key,
          ChecksumMode: options.serverChecksum ? 'ENABLED' : undefined,
        }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function readBack(s3: S3Client, key: string): Promise<string> {
    const { GetObjectCommand } = await sdk();
    const object = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
    return (await hashStream(object.Body as Readable)).sha256;
  }

  return {
    type: S3_BACKEND,
    name: context.name,

    async put(request): Promise<PutResult> {
      return withLocalFile(request, async (read) => {
        const key = keyOf(request.remotePath);
        return await run(`upload ${key}`, async (s3) => {
          const where = `s3://${options.bucket}/${key}`;
          const existing = {
            stat: async () => {
              let found;
              try {
                found = await head(s3, key);
              } catch (error) {
                // A bodiless 403 cannot tell bad credentials from a write-only bucket policy: the upload
                // (conditional, so it cannot overwrite either) then says which.
                if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403)
                  return undefined;
                throw error;
              }
              return found && { bytes: found.ContentLength ?? 0 };
            },
            hash: () => readBack(s3, key),
          };
          if ((await settleExisting(request, where, existing)) === 'same')
            return { bytes: request.bytes, verifiedBy: 'read-back', alreadyThere: true };
          let sent: Uploaded;
          try {
            sent = await upload(s3, request, read, key);
          } catch (error) {
            const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
            if (status === 412 || status === 409) {
              // The conditional write was refused: an object appeared under the key since the HEAD.
              if ((await settleExisting(request, where, existing)) === 'same')
                return { bytes: request.bytes, verifiedBy: 'read-back', alreadyThere: true };
            }
            if (status !== 501 || !conditionalWrites) throw error;
            // A server without conditional writes: the HEAD above is the check.
            conditionalWrites = false;
            sent = await upload(s3, request, read, key);
          }
          const found = await head(s3, key);
          // What is at the key is this upload's only when it has this upload's ETag. A server that ignores
          // If-None-Match (or a write between ours and this HEAD) may have put another writer's object there:
          // that one is never deleted here, and is settled like any object found at the key.
          const ours =
            found !== undefined && sent.etag !== undefined && etagOf(found.ETag) === etagOf(sent.etag);
          if (found && !ours) {
            if ((await settleExisting({ ...request, existing: 'keep' }, where, existing)) === 'same')
              return { bytes: request.bytes, verifiedBy: 'read-back', alreadyThere: true };
            throw syncError(
              'TRANSFER_FAILED',
              `${where}: another object replaced this upload and was then removed; it will be sent again`,
            );
          }
          const bytes = found?.ContentLength ?? -1;
          let sha256 = sent.sha256;
          let verifiedBy: PutResult['verifiedBy'] = 'size';
          if (sent.sha256 === request.sha256 && options.verify === 'sha256' && bytes === request.bytes) {
            const checksum = Buffer.from(request.sha256, 'hex').toString('base64');
            const etag = found?.ETag?.replace(/"/g, '');
            // The server's checksum of what it stored equals that of the bytes sent, which have the manifest's
            // sha256: the SHA-256 checksum (serverChecksum), or the ETag when it is the MD5 (single part, or
            // md5-of-part-md5s-N for multipart). Otherwise (encrypted buckets, other ETag schemes) read it back.
            const serverAgrees =
              found?.ChecksumSHA256 === checksum ||
              (etag !== undefined && (etag === sent.md5 || etag === sent.multipartEtag));
            if (serverAgrees && options.hashMethod !== 'read-back') verifiedBy = 'server-checksum';
            else if (options.hashMethod === 'server')
              throw syncError(
                'VERIFY_FAILED',
                `${where}: the server's checksum of ${key} does not match what was sent`,
              );
            else {
              sha256 = await readBack(s3, key);
              verifiedBy = 'read-back';
            }
          }
          if (bytes !== request.bytes || sha256 !== request.sha256) {
            // Only this upload's object is removed, and (where the server checks If-Match) only while it is.
            if (ours) {
              const { DeleteObjectCommand } = await sdk();
              const remove = (ifMatch?: string) =>
                s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key, IfMatch: ifMatch }));
              // A server without conditional deletes (501): the ETag just seen is the check.
              await remove(found.ETag).catch((error: unknown) =>
                (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501
                  ? remove().catch(() => undefined)
                  : undefined,
              );
            }
            throw await mismatchError(request, `s3://${options.bucket}/${key}`, { bytes, sha256 });
          }
          return { bytes, verifiedBy };
        });
      });
    },

    stat: (remotePath) =>
      run('stat', async (s3) => {
        const found = await head(s3, keyOf(remotePath));
        return found && { bytes: found.ContentLength ?? 0 };
      }),

    hash: (remotePath) => run('read back', (s3) => readBack(s3, keyOf(remotePath))),

    list: (remoteDir) =>
      run('list', async (s3) => {
        const { ListObjectsV2Command } = await sdk();
        const prefix = `${keyOf(remoteDir).replace(/\/+$/, '')}/`.replace(/^\/$/, '');
        const names: string[] = [];
        let token: string | undefined;
        do {
          const page = await s3.send(
            new ListObjectsV2Command({
              Bucket: options.bucket,
              Prefix: prefix,
              Delimiter: '/',
              ContinuationToken: token,
            }),
          );
          for (const object of page.Contents ?? []) if (object.Key) names.push(posix.basename(object.Key));
          for (const common of page.CommonPrefixes ?? [])
            if (common.Prefix) names.push(posix.basename(common.Prefix.replace(/\/$/, '')));
          token = page.NextContinuationToken;
        } while (token);
        return names;
      }),

    remove: (remotePath) =>
      run('remove', async (s3) => {
        const { DeleteObjectCommand } = await sdk();
        await s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: keyOf(remotePath) }));
      }),

    async close() {
      const current = client;
      client = undefined;
      if (current) (await current.catch(() => undefined))?.destroy();
    },
  };
}
