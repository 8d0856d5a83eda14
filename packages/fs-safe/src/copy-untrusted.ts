import { createHash } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  UntrustedFileError,
  openUntrusted,
  untrustedErrnoError,
  type UntrustedOpenOptions,
} from './untrusted.ts';
import { writeError } from './write-error.ts';

/** What a copy read: the SHA-256 (lowercase hex) and the number of bytes of the very bytes written. */
export interface CopiedFile {
  sha256: string;
  bytes: number;
}

export interface CopyOpenedOptions {
  /** How the file is named in messages. */
  name: string;
  /**
   * The descriptor's fstat when the caller first looked at it (openUntrusted's `stats`): a file whose size
   * or mtime differs from it after the copy was written to in place meanwhile (still being copied into the
   * folder), so what the caller read earlier (a probe) and the bytes copied may disagree: FILE_CHANGED.
   * @default the fstat at the start of the copy
   */
  since?: Stats;
}

/**
 * Copies what an open descriptor reads (from its start) to `to`, a new file of ours (created with `wx`:
 * never written through a link or over a file there), hashing the bytes as they are copied: one read, so
 * the hash and size returned are those of the copy, whatever happens to the file's name meanwhile. A file
 * written to in place during the copy (or since `since`) is FILE_CHANGED (transient: try again once it is
 * quiet); the partial copy is left to the caller's clean-up of `to`'s folder. A failure to write `to` (the
 * destination full, its quota used up, no permission there) is the destination's, not the file's: said as
 * a write of `to` (fs-safe writeError: "cannot write <to>: the disk is full …", the errno kept as its code).
 */
export async function copyOpenedFile(
  handle: FileHandle,
  to: string,
  options: CopyOpenedOptions,
): Promise<CopiedFile> {
  const { name } = options;
  const hash = createHash('sha256');
  let bytes = 0;
  let writeFailure: unknown;
  try {
    const before = options.since ?? (await handle.stat());
    const writer = createWriteStream(to, { flags: 'wx' });
    writer.once('error', (error) => {
      writeFailure = error;
    });
    await pipeline(
      handle.createReadStream({ autoClose: false, start: 0 }),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          bytes += chunk.length;
          done(null, chunk);
        },
      }),
      writer,
    );
    const after = await handle.stat();
    if (after.size !== bytes || after.size !== before.size || after.mtimeMs !== before.mtimeMs)
      throw new UntrustedFileError(
        'FILE_CHANGED',
        `${name} changed while it was being read (${before.size} bytes, then ${after.size}; ${bytes} copied); it is taken again once it stops changing`,
        name,
      );
  } catch (error) {
    if (writeFailure !== undefined && error === writeFailure) throw writeError(to, error);
    throw untrustedErrnoError(error, name);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Copies a file someone else wrote (a bundle's video published as it came) to `to`, a new file of ours
 * (created with `wx`: never written through a link or over a file there): opened the untrusted way
 * (openUntrusted: a regular file, no link followed, inside `within` when given), so the bytes copied are
 * those of the file checked, not of whatever a link swapped in since. Refusals name the file. Returns the
 * SHA-256 and size of the bytes copied (copyOpenedFile).
 */
export async function copyUntrustedFile(
  from: string,
  to: string,
  options: UntrustedOpenOptions = {},
): Promise<CopiedFile> {
  const { handle, stats } = await openUntrusted(from, options);
  try {
    return await copyOpenedFile(handle, to, { name: options.name ?? from, since: stats });
  } finally {
    await handle.close();
  }
}
