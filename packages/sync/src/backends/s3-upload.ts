import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PutRequest } from '../types.ts';
import { throttledStream, type createThrottle } from '../util/bandwidth.ts';
import { createUploadTap, type UploadDigests } from '../util/hashing.ts';

/** The s3 backend's settings an upload uses (see S3OptionsSchema in s3.ts). */
export interface S3UploadSettings {
  bucket: string;
  storageClass?: string;
  serverChecksum: boolean;
  multipartThreshold: number;
  partSize: number;
  queueSize: number;
  throttle?: ReturnType<typeof createThrottle>;
}

/** What one upload sent (its digests) and the ETag the server answered it with. */
export type Uploaded = UploadDigests & { etag: string | undefined };

type UploadTap = ReturnType<typeof createUploadTap>;

/** The upload's body, read from `read` (the artifact's checked descriptor, openLocalFile), once per try. */
function body(settings: S3UploadSettings, request: PutRequest, read: string, tap: UploadTap): Readable {
  const source = createReadStream(read, { highWaterMark: 1 << 20 });
  source.on('error', (error) => tap.destroy(error));
  const tapped = source.pipe(tap);
  return settings.throttle ? tapped.pipe(throttledStream(settings.throttle, request.signal)) : tapped;
}

/**
 * Uploads `read` to `key`, in one PUT or (from multipartThreshold on) in parts; returns the digests of the
 * bytes sent and the ETag the server gave what it stored. With `conditional`, the write carries
 * If-None-Match: * (unless the request replaces what is there): the server refuses to overwrite an object
 * that appeared since the HEAD. A multipart upload carries it too: its CompleteMultipartUpload, where the
 * object takes the key, is refused then.
 */
export async function uploadObject(
  s3: S3Client,
  settings: S3UploadSettings,
  request: PutRequest,
  read: string,
  key: string,
  conditional: boolean,
): Promise<Uploaded> {
  const multipartUpload = request.bytes >= settings.multipartThreshold;
  const tap = createUploadTap(multipartUpload ? settings.partSize : undefined);
  const { PutObjectCommand, AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3');
  const common = {
    Bucket: settings.bucket,
    Key: key,
    Metadata: { sha256: request.sha256 },
    StorageClass: settings.storageClass as never,
  };
  const ifNoneMatch = request.existing !== 'replace' && conditional && { IfNoneMatch: '*' };
  if (!multipartUpload) {
    const stored = await s3.send(
      new PutObjectCommand({
        ...common,
        ...ifNoneMatch,
        Body: body(settings, request, read, tap),
        ContentLength: request.bytes,
        ChecksumSHA256: settings.serverChecksum
          ? Buffer.from(request.sha256, 'hex').toString('base64')
          : undefined,
      }),
      { abortSignal: request.signal },
    );
    return { ...tap.digests(), etag: stored.ETag };
  }
  const { Upload } = await import('@aws-sdk/lib-storage');
  // leavePartsOnError: we abort ourselves and ignore servers that refuse AbortMultipartUpload (s3rver: 405).
  const multipart = new Upload({
    client: s3,
    params: { ...common, ...ifNoneMatch, Body: body(settings, request, read, tap) },
    partSize: settings.partSize,
    queueSize: settings.queueSize,
    leavePartsOnError: true,
  });
  const onAbort = () => void multipart.abort().catch(() => undefined);
  request.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stored = await multipart.done();
    return { ...tap.digests(), etag: stored.ETag };
  } catch (error) {
    if (multipart.uploadId)
      await s3
        .send(
          new AbortMultipartUploadCommand({
            Bucket: settings.bucket,
            Key: key,
            UploadId: multipart.uploadId,
          }),
        )
        .catch(() => undefined);
    throw error;
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
  }
}
