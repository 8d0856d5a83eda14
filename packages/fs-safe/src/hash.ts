import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

// Files up to this size are hashed in one read: a 1 MiB stream buffer per small file costs more in
// allocation and garbage collection than the hashing itself (queue consumers hash thousands of them).
const WHOLE_FILE_LIMIT = 1 << 20;

/** Read size for large files: one buffer per call, reused for every read (no garbage per chunk). */
const CHUNK = 4 << 20;

/** SHA-256 of a file, streamed (constant memory) when large, lowercase hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size <= WHOLE_FILE_LIMIT) return hash.update(await file.readFile()).digest('hex');
    const buffer = Buffer.allocUnsafeSlow(CHUNK);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}

export function sha256Buffer(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
