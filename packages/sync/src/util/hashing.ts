import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

/** A pass-through stream that hashes and counts what flows through it. */
export interface HashTap extends Transform {
  /** Lowercase hex SHA-256 of everything that passed; call after the stream ended. */
  digest(): string;
  readonly bytes: number;
}

export function createHashTap(): HashTap {
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  }) as HashTap;
  let digest: string | undefined;
  Object.defineProperty(tap, 'bytes', { get: () => bytes });
  tap.digest = () => (digest ??= hash.digest('hex'));
  return tap;
}

/** SHA-256 and byte count of a readable stream (a read-back). */
export async function hashStream(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export interface UploadDigests {
  sha256: string;
  bytes: number;
  /** MD5 of the whole content: an S3 ETag of a single-part upload (and s3rver's ETag of any upload). */
  md5: string;
  /** `md5(concat(part md5s))-N`: an S3 ETag of a multipart upload with this part size. */
  multipartEtag: string | undefined;
}

/**
 * A pass-through stream computing, in the same pass, the SHA-256 (to check the manifest), the MD5 and, for
 * multipart uploads, the per-part MD5s (to check an S3 ETag) of what is uploaded.
 */
export function createUploadTap(partSize: number | undefined): Transform & { digests(): UploadDigests } {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const parts: Buffer[] = [];
  let part = partSize ? createHash('md5') : undefined;
  let inPart = 0;
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha.update(chunk);
      md5.update(chunk);
      bytes += chunk.length;
      if (part && partSize) {
        let offset = 0;
        while (offset < chunk.length) {
          const take = Math.min(partSize - inPart, chunk.length - offset);
          part.update(chunk.subarray(offset, offset + take));
          inPart += take;
          offset += take;
          if (inPart === partSize) {
            parts.push(part.digest());
            part = createHash('md5');
            inPart = 0;
          }
        }
      }
      callback(null, chunk);
    },
  });
  let result: UploadDigests | undefined;
  return Object.assign(tap, {
    digests(): UploadDigests {
      if (result) return result;
      if (part && inPart > 0) parts.push(part.digest());
      const multipartEtag =
        parts.length > 0
          ? `${createHash('md5').update(Buffer.concat(parts)).digest('hex')}-${parts.length}`
          : undefined;
      result = { sha256: sha.digest('hex'), bytes, md5: md5.digest('hex'), multipartEtag };
      return result;
    },
  });
}
