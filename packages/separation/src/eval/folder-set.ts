import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ImkError } from '@imk/errors';
import { runFfmpeg } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import type { StemFiles } from '../engine.ts';
import { extractStemMp4, type EvalSet, type EvalTrack } from './eval-sets.ts';

const SOURCES = ['mixture', ...STEM_NAMES] as const;

/**
 * A folder of songs in MUSDB18 layout as a `test` set: `<track>/{mixture,vocals,drums,bass,other}.wav`
 * (MUSDB18-HQ) or `<track>.stem.mp4` (MUSDB18). Each track is converted to float WAV only when its turn
 * comes. Throws ImkError('EVAL_DIR_INVALID') naming the folder when it holds no track, or a track folder
 * that lacks a file.
 */
export function musdbFolderSet(dir: string): EvalSet {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new ImkError('EVAL_DIR_INVALID', `--dir ${root}: not a folder`);
  }
  const tracks: EvalTrack[] = [];
  for (const entry of readdirSync(root).sort()) {
    const path = join(root, entry);
    if (entry.endsWith('.stem.mp4')) {
      tracks.push(
        lazyTrack(entry.slice(0, -'.stem.mp4'.length), (work, signal) => extractStemMp4(path, work, signal)),
      );
      continue;
    }
    if (!statSync(path).isDirectory()) continue;
    const files = SOURCES.map((name) => join(path, `${name}.wav`));
    const present = files.filter((file) => existsSync(file));
    if (present.length === 0) continue;
    if (present.length < files.length) {
      const missing = SOURCES.filter((_, n) => !existsSync(files[n]!));
      throw new ImkError(
        'EVAL_DIR_INVALID',
        `${path}: missing ${missing.map((m) => `${m}.wav`).join(', ')} (MUSDB layout needs mixture, vocals, drums, bass, other)`,
      );
    }
    tracks.push(lazyTrack(entry, (work, signal) => convertWavs(path, work, signal)));
  }
  if (tracks.length === 0) {
    throw new ImkError(
      'EVAL_DIR_INVALID',
      `--dir ${root}: no songs in MUSDB layout (<track>/mixture.wav + vocals/drums/bass/other.wav, or <track>.stem.mp4)`,
    );
  }
  return { id: 'dir', title: root, split: 'test', tracks };
}

function lazyTrack(name: string, load: NonNullable<EvalTrack['load']>): EvalTrack {
  const stems = Object.fromEntries(STEM_NAMES.map((s) => [s, ''])) as StemFiles;
  return { name, mixture: '', stems, load };
}

async function convertWavs(
  folder: string,
  workDir: string,
  signal?: AbortSignal,
): Promise<{ mixture: string; stems: StemFiles }> {
  const out = (name: string) => join(workDir, `${name}.wav`);
  const args = SOURCES.flatMap((name) => ['-i', join(folder, `${name}.wav`)]);
  const maps = SOURCES.flatMap((name, n) => [
    '-map',
    `${n}:a:0`,
    '-ar',
    '44100',
    '-ac',
    '2',
    '-c:a',
    'pcm_f32le',
    out(name),
  ]);
  await runFfmpeg([...args, ...maps], { what: `converting the stems of ${folder}`, signal });
  const stems = Object.fromEntries(STEM_NAMES.map((s) => [s, out(s)])) as StemFiles;
  return { mixture: out('mixture'), stems };
}
