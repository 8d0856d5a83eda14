import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createWavWriter } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import type { PcmChannels, StemFiles, StemPcm } from '../engine.ts';

// A cached corpus item is a folder (the synthetic corpus's and the General MIDI songs'): its mixture, one
// float WAV per stem, and item.json (what it was made from, with its spec). Written and read here only.
const ITEM_FILE = 'item.json';

/** Where an item folder keeps its mixture and its stems. */
export function itemAudioFiles(dir: string): { mixture: string; stems: StemFiles } {
  const stems = Object.fromEntries(STEM_NAMES.map((name) => [name, join(dir, `${name}.wav`)])) as StemFiles;
  return { mixture: join(dir, 'mixture.wav'), stems };
}

/** An item folder's item.json, when it is there and was made from `spec`. */
export async function readItemFile<T extends { spec: unknown }>(
  dir: string,
  spec: unknown,
): Promise<T | undefined> {
  let file: T;
  try {
    file = JSON.parse(await readFile(join(dir, ITEM_FILE), 'utf8')) as T;
  } catch {
    return undefined;
  }
  // A spec edited without a version bump must not reuse stale audio.
  return JSON.stringify(file.spec) === JSON.stringify(spec) ? file : undefined;
}

/** Writes an item's mixture, stems and item.json (`meta`) into the folder `tmp`, to be published after. */
export async function writeItemFiles(
  tmp: string,
  audio: { mixture: PcmChannels; stems: StemPcm },
  sampleRate: number,
  meta: { spec: unknown },
): Promise<void> {
  const files = itemAudioFiles(tmp);
  await writeFloatWav(files.mixture, audio.mixture, sampleRate);
  for (const name of STEM_NAMES) await writeFloatWav(files.stems[name], audio.stems[name], sampleRate);
  await writeFile(join(tmp, ITEM_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}

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
