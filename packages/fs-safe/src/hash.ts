import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { openRegularFile } from './regular-file.ts';
import { openUntrusted, type UntrustedOpenOptions } from './untrusted.ts';

// Files up to this size are hashed in one read: a 1 MiB stream buffer per small file costs more in
// allocation and garbage collection than the hashing itself (queue consumers hash thousands of them).
const WHOLE_FILE_LIMIT = 1 << 20;

/** Read size for large files: one buffer per call, reused for every read (no garbage per chunk). */
const CHUNK = 4 << 20;

export interface DigestOptions {
  /** Someone else wrote the file: open it the safe way (regular files only, no links, a size cap). */
  untrusted?: UntrustedOpenOptions;
}

/** SHA-256 of a file, streamed (constant memory) when large, lowercase hex. */
export async function sha256File(path: string, options: DigestOptions = {}): Promise<string> {
  return (await digestFile(path, ['sha256'], options)).sha256;
}

/**
 * Digests (lowercase hex) of a file for several algorithms at once (e.g. sha256 and sha1), in one read:
 * whole when small, else through one reused buffer.
 */
export async function digestFile<A extends string>(
  path: string,
  algorithms: readonly A[],
  options: DigestOptions = {},
): Promise<Record<A, string>> {
  // Even a file of ours is opened without blocking and checked to be a regular file: an artifact swapped
  // for a FIFO after it was checked (sync re-hashing a file of outputs/) hung the caller for good.
  const file: FileHandle = options.untrusted
    ? (await openUntrusted(path, options.untrusted)).handle
    : await openRegularFile(path);
  try {
    return await digestHandle(file, algorithms);
  } finally {
    await file.close();
  }
}

/**
 * SHA-256 and size of a file, both of what one descriptor read: `bytes` counts the bytes hashed, not a
 * stat of the name (which follows a link, and may meet another file than the one opened). For a file
 * whose size and hash are recorded together (a manifest's input, a bundle's files[]).
 */
export async function sha256AndBytes(
  path: string,
  options: DigestOptions = {},
): Promise<{ sha256: string; bytes: number }> {
  const file: FileHandle = options.untrusted
    ? (await openUntrusted(path, options.untrusted)).handle
    : await openRegularFile(path);
  try {
    const { digests, bytes } = await digestCounted(file, ['sha256']);
    return { sha256: digests.sha256, bytes };
  } finally {
    await file.close();
  }
}

/**
 * SHA-256 and size of what an open descriptor holds, from its first byte to its end, read at explicit
 * positions: the descriptor's own offset is neither used nor moved, so one descriptor held for a whole job
 * (the worker's bundle input, read again after by ffmpeg and copies) is hashed as a whole whenever asked.
 */
export async function sha256AndBytesOf(file: FileHandle): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const { size } = await file.stat();
  const buffer = Buffer.allocUnsafeSlow(Math.min(CHUNK, size + 1));
  let bytes = 0;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, bytes);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    bytes += bytesRead;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Digests (lowercase hex) of what an open handle reads from its current position to the end: for a file
 * already opened the untrusted way, so the bytes hashed are those of the very file that was checked.
 */
export async function digestHandle<A extends string>(
  file: FileHandle,
  algorithms: readonly A[],
): Promise<Record<A, string>> {
  return (await digestCounted(file, algorithms)).digests;
}

/** digestHandle, with the number of bytes hashed. */
async function digestCounted<A extends string>(
  file: FileHandle,
  algorithms: readonly A[],
): Promise<{ digests: Record<A, string>; bytes: number }> {
  const hashes = algorithms.map((name) => [name, createHash(name)] as const);
  const { size } = await file.stat();
  let bytes = 0;
  if (size <= WHOLE_FILE_LIMIT) {
    const data = await file.readFile();
    for (const [, hash] of hashes) hash.update(data);
    bytes = data.length;
  } else {
    const buffer = Buffer.allocUnsafeSlow(CHUNK);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      for (const [, hash] of hashes) hash.update(chunk);
      bytes += bytesRead;
    }
  }
  const digests = Object.fromEntries(hashes.map(([name, hash]) => [name, hash.digest('hex')]));
  return { digests: digests as Record<A, string>, bytes };
}

export function sha256Buffer(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
