import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@imk/log';
import { itemAudioFiles, publishCacheItem, readItemFile, writeItemFiles } from './cache-item.ts';
import type { StemFiles } from '../engine.ts';
import { CORPUS_ITEMS, type CorpusItemSpec } from './items.ts';
import { CORPUS_SAMPLE_RATE, renderItem } from './render.ts';
import { espeakVersion } from './speech-voice.ts';

/** Bump when the generator's output changes: cached corpora of other versions are then ignored. */
export const CORPUS_VERSION = 1;

/** One generated song on disk: float32 WAV files, 44.1 kHz stereo; the stems sum exactly to the mixture. */
export interface CorpusItem {
  id: string;
  spec: CorpusItemSpec;
  mixture: string;
  stems: StemFiles;
  frames: number;
  sampleRate: number;
  voice: 'speech' | 'sung';
}

export interface EnsureCorpusOptions {
  /** Where generated items are cached. @default $IMK_CORPUS_DIR, else <os tmpdir>/imk-corpus */
  cacheDir?: string;
  /** Which items (e.g. a subset for a quick test). @default CORPUS_ITEMS */
  items?: readonly CorpusItemSpec[];
  logger?: Logger;
}

export function defaultCorpusDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.IMK_CORPUS_DIR ?? join(tmpdir(), 'imk-corpus');
}

/**
 * Returns the synthetic corpus, generating the items not yet cached. The cache folder is keyed by
 * CORPUS_VERSION and the espeak-ng version (its speech is part of the audio); each item is written
 * under a temporary name and renamed into place, so concurrent callers never see half an item.
 */
export async function ensureCorpus(options: EnsureCorpusOptions = {}): Promise<CorpusItem[]> {
  const espeak = await espeakVersion();
  const voiceKey =
    espeak === undefined ? 'sung' : `espeak-${createHash('sha256').update(espeak).digest('hex').slice(0, 8)}`;
  const versionDir = join(options.cacheDir ?? defaultCorpusDir(), `v${CORPUS_VERSION}-${voiceKey}`);
  await mkdir(versionDir, { recursive: true });
  const items: CorpusItem[] = [];
  for (const spec of options.items ?? CORPUS_ITEMS) {
    const dir = join(versionDir, spec.id);
    const cached = await readItem(dir, spec);
    if (cached !== undefined) {
      items.push(cached);
      continue;
    }
    options.logger?.info({ item: spec.id, dir }, 'generating synthetic corpus item');
    await generateItem(versionDir, spec, espeak !== undefined);
    const made = await readItem(dir, spec);
    if (made === undefined) throw new Error(`corpus item ${spec.id} missing after generation in ${dir}`);
    items.push(made);
  }
  return items;
}

interface ItemFile {
  id: string;
  frames: number;
  sample_rate: number;
  voice: 'speech' | 'sung';
  spec: CorpusItemSpec;
}

async function readItem(dir: string, spec: CorpusItemSpec): Promise<CorpusItem | undefined> {
  const file = await readItemFile<ItemFile>(dir, spec);
  if (!file) return undefined;
  return {
    id: spec.id,
    spec,
    ...itemAudioFiles(dir),
    frames: file.frames,
    sampleRate: file.sample_rate,
    voice: file.voice,
  };
}

async function generateItem(versionDir: string, spec: CorpusItemSpec, useSpeech: boolean): Promise<void> {
  const tmp = await mkdtemp(join(versionDir, `${spec.id}.tmp-`));
  try {
    const speechDir = join(tmp, 'speech');
    await mkdir(speechDir);
    const item = await renderItem(spec, speechDir, useSpeech);
    await rm(speechDir, { recursive: true, force: true });
    const meta: ItemFile = {
      id: spec.id,
      frames: item.frames,
      sample_rate: CORPUS_SAMPLE_RATE,
      voice: item.voice,
      spec,
    };
    await writeItemFiles(tmp, item, CORPUS_SAMPLE_RATE, meta);
    const dir = join(versionDir, spec.id);
    await publishCacheItem(tmp, dir, async () => (await readItem(dir, spec)) !== undefined);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
