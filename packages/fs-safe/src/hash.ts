import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

// Files up to this size are hashed in one read: a 1 MiB stream buffer per small file costs more in
// allocation and garbage collection than the hashing itself (queue consumers hash thousands of them).
const WHOLE_FILE_LIMIT = 1 << 20;

/** SHA-256 of a file, streamed (constant memory) when large, lowercase hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const { size } = await stat(path);
  if (size <= WHOLE_FILE_LIMIT) return hash.update(await readFile(path)).digest('hex');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Buffer(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
