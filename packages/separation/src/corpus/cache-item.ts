import { rename, rm } from 'node:fs/promises';
import { createWavWriter } from '@imk/media';
import type { PcmChannels } from '../engine.ts';

/**
 * Moves a finished item folder `tmp` into place at `dir`. When another process finished the same item
 * first (theirs is as good as ours), it is kept; a stale item from an edited spec is replaced.
 */
export async function publishCacheItem(
  tmp: string,
  dir: string,
  isCurrent: () => Promise<boolean>,
): Promise<void> {
  try {
    await rename(tmp, dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    if (await isCurrent()) return;
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
}

export async function writeFloatWav(path: string, pcm: PcmChannels, sampleRate: number): Promise<void> {
  const writer = createWavWriter(path, { sampleRate, channels: pcm.length });
  await writer.write(pcm);
  await writer.close();
}
