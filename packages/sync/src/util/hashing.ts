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
