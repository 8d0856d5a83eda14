import type { FileHandle } from 'node:fs/promises';

/**
 * Writes all of `data` at `position`. A positioned `FileHandle.write` may write less than asked and
 * resolve: a write that fills the disk or reaches the file size limit part-way writes what fits and
 * reports that count, and only the next write fails. Taking that first answer as the whole write left a
 * file with a hole at its end that nothing reported (a WAV's last block cut short, its header still saying
 * the full length). The rest is written again, so the error of the next write (ENOSPC, EFBIG, EDQUOT) is
 * thrown; a write that makes no progress at all is ENOSPC. Callers name the file (writeError).
 */
export async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0)
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    done += bytesWritten;
  }
}
