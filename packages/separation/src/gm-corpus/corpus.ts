import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@imk/log';
import { itemAudioFiles, publishCacheItem, readItemFile, writeItemFiles } from '../corpus/cache-item.ts';
import type { StemFiles } from '../engine.ts';
import { defaultCorpusDir } from '../corpus/corpus.ts';
import { espeakVersion } from '../corpus/speech-voice.ts';
import type { EvalSet } from '../eval/eval-sets.ts';
import type { EvalSplit } from '../eval/scores.ts';
import { findSoundfont, fluidsynthVersion } from './fluidsynth.ts';
import { GM_SAMPLE_RATE, renderGmSong, type GmSongDetails } from './render-song.ts';
import { GM_SONGS, type GmSongSpec } from './songs.ts';

/** Bump when the generator's output changes: cached songs of other versions are then ignored. */
export const GM_CORPUS_VERSION = 1;

/** One rendered song on disk: float32 WAVs, 44.1 kHz stereo; the stems sum exactly to the mixture. */
export interface GmCorpusItem {
  id: string;
  spec: GmSongSpec;
  mixture: string;
  stems: StemFiles;
  frames: number;
  details: GmSongDetails;
}

export interface EnsureGmCorpusOptions {
  /** Where rendered songs are cached. @default $IMK_CORPUS_DIR, else <os tmpdir>/imk-corpus */
  cacheDir?: string;
  /** Which songs. @default GM_SONGS */
  songs?: readonly GmSongSpec[];
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

interface ItemFile {
  id: string;
  frames: number;
  spec: GmSongSpec;
  details: GmSongDetails;
}

/**
 * Returns the General MIDI songs, rendering those not cached yet. The cache folder is keyed by the
 * generator version, FluidSynth's version, the soundfont (path, size) and espeak-ng's version; each song
 * is written under a temporary name and renamed into place, so concurrent callers never see half a song.
 */
export async function ensureGmCorpus(options: EnsureGmCorpusOptions = {}): Promise<GmCorpusItem[]> {
  const soundfont = findSoundfont(options.env);
  const espeak = await espeakVersion();
  const key = [
    await fluidsynthVersion(),
    soundfont,
    (await stat(soundfont)).size,
    espeak ?? 'no-espeak',
  ].join('|');
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  const versionDir = join(
    options.cacheDir ?? defaultCorpusDir(options.env),
    `gm-v${GM_CORPUS_VERSION}-${hash}`,
  );
  await mkdir(versionDir, { recursive: true });
  const items: GmCorpusItem[] = [];
  for (const spec of options.songs ?? GM_SONGS) {
    const dir = join(versionDir, spec.id);
    let item = await readItem(dir, spec);
    if (item === undefined) {
      options.logger?.info({ song: spec.id, dir }, 'rendering General MIDI corpus song');
      await generate(versionDir, spec, soundfont, espeak !== undefined);
      item = await readItem(dir, spec);
      if (item === undefined) throw new Error(`corpus song ${spec.id} missing after rendering in ${dir}`);
    }
    items.push(item);
  }
  return items;
}

async function readItem(dir: string, spec: GmSongSpec): Promise<GmCorpusItem | undefined> {
  const file = await readItemFile<ItemFile>(dir, spec);
  if (!file) return undefined;
  return {
    id: spec.id,
    spec,
    ...itemAudioFiles(dir),
    frames: file.frames,
    details: file.details,
  };
}

async function generate(
  versionDir: string,
  spec: GmSongSpec,
  soundfont: string,
  speech: boolean,
): Promise<void> {
  const tmp = await mkdtemp(join(versionDir, `${spec.id}.tmp-`));
  try {
    const scratch = join(tmp, 'scratch');
    await mkdir(scratch);
    const song = await renderGmSong(spec, soundfont, scratch, speech);
    await rm(scratch, { recursive: true, force: true });
    const meta: ItemFile = { id: spec.id, frames: song.frames, spec, details: song.details };
    await writeItemFiles(tmp, song, GM_SAMPLE_RATE, meta);
    const dir = join(versionDir, spec.id);
    await publishCacheItem(tmp, dir, async () => (await readItem(dir, spec)) !== undefined);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The General MIDI songs as eval sets, one per split, `test` first (the first `limit` songs of each when
 * given): songs are rendered (and cached) only for the splits asked for.
 */
export async function gmCorpusSets(
  options: EnsureGmCorpusOptions & { limit?: number; splits?: readonly EvalSplit[] } = {},
): Promise<EvalSet[]> {
  const { limit, splits = ['test', 'tune'], ...rest } = options;
  const sets: EvalSet[] = [];
  for (const split of (['test', 'tune'] as const).filter((s) => splits.includes(s))) {
    const songs = (rest.songs ?? GM_SONGS).filter((s) => s.split === split).slice(0, limit);
    const items = await ensureGmCorpus({ ...rest, songs });
    const tracks = items.map((item) => ({ name: item.id, mixture: item.mixture, stems: item.stems }));
    sets.push({ id: `gm-${split}`, title: `General MIDI songs`, split, tracks });
  }
  return sets;
}
