import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ImkError } from '@imk/errors';
import { inputArgs, probeMedia, readWavHeader, runFfmpeg, songFileName } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import type { StemFiles } from '../engine.ts';
import { STEM_SAMPLE_RATE } from '../pcm-source.ts';
import { commonStemLength } from '../stem-lengths.ts';
import { extractStemMp4, stemWavOutput, type EvalSet, type EvalTrack } from './eval-sets.ts';
import { kindOf, regularFile } from './regular-file.ts';
import '../errors.ts';

const SOURCES = ['mixture', ...STEM_NAMES] as const;

/**
 * A folder of songs in MUSDB18 layout as a `test` set: `<track>/{mixture,vocals,drums,bass,other}.wav`
 * (MUSDB18-HQ) or `<track>.stem.mp4` (MUSDB18). Each track is converted to float WAV only when its turn
 * comes. It is the user's own folder, so symbolic links are followed (a folder of links into a MUSDB
 * copy works), but every file must turn out to be a regular file before ffmpeg is given it: a FIFO named
 * `x.stem.mp4` would block it forever. Hidden entries (`.name`, such as macOS's `._Song.stem.mp4`) are not
 * songs. Throws ImkError('EVAL_DIR_INVALID') naming the folder when it holds no track, and naming the file
 * when a track folder lacks one or one is not a regular file.
 */
export async function musdbFolderSet(dir: string): Promise<EvalSet> {
  const root = resolve(dir);
  const kind = await kindOf(root);
  if (!kind?.isDirectory()) {
    // A song given where its folder was meant: say which folder to give.
    const hint = kind?.isFile() === true ? `; give the folder that holds it: --dir ${dirname(root)}` : '';
    throw new ImkError('EVAL_DIR_INVALID', `--dir ${root}: not a folder${hint}`);
  }
  const tracks: EvalTrack[] = [];
  for (const entry of (await readdir(root)).sort()) {
    // Hidden entries are never songs: macOS writes `._<name>` beside every file it copies to a NAS or a
    // FAT/exFAT disk (so `._Song.stem.mp4` is 4 kB of metadata), and `.Trash-1000`, `.git`… are folders.
    if (entry.startsWith('.')) continue;
    const path = join(root, entry);
    if (entry.endsWith('.stem.mp4')) {
      const file = await regularFile(path);
      tracks.push(lazyTrack(songFileName(entry), (work, signal) => extractStemMp4(file, work, signal)));
      continue;
    }
    if (!(await kindOf(path))?.isDirectory()) continue;
    const present = await Promise.all(
      SOURCES.map(async (name) => (await kindOf(join(path, `${name}.wav`))) !== undefined),
    );
    if (!present.includes(true)) continue;
    if (present.includes(false)) {
      const missing = SOURCES.filter((_, n) => !present[n]);
      throw new ImkError(
        'EVAL_DIR_INVALID',
        `${path}: missing ${missing.map((m) => `${m}.wav`).join(', ')} (MUSDB layout needs mixture, vocals, drums, bass, other)`,
      );
    }
    const files = await Promise.all(SOURCES.map((name) => regularFile(join(path, `${name}.wav`))));
    tracks.push(lazyTrack(entry, (work, signal) => convertWavs(path, files, work, signal)));
  }
  if (tracks.length === 0) {
    if ((await kindOf(join(root, 'mixture.wav'))) !== undefined)
      throw new ImkError(
        'EVAL_DIR_INVALID',
        `--dir ${root} is a track folder itself (it holds mixture.wav); give the folder that holds the track folders: --dir ${dirname(root)}`,
      );
    throw new ImkError(
      'EVAL_DIR_INVALID',
      `--dir ${root}: no songs in MUSDB layout (<track>/mixture.wav + vocals/drums/bass/other.wav, or <track>.stem.mp4)${await splitHint(root)}`,
    );
  }
  return { id: 'dir', title: root, split: 'test', tracks };
}

/**
 * MUSDB18 unpacks to `musdb18/{train,test}/…`: given the top folder, name the folders below it that hold
 * songs, so the user picks one (each is a split of its own, and the two must not be pooled). '' if none do.
 */
async function splitHint(root: string): Promise<string> {
  const found: { name: string; count: number }[] = [];
  for (const name of (await readdir(root)).sort()) {
    if (name.startsWith('.') || !(await kindOf(join(root, name)))?.isDirectory()) continue;
    const count = await songCandidates(join(root, name));
    if (count > 0) found.push({ name, count });
  }
  const example = found.find((f) => f.name === 'test') ?? found[0];
  if (example === undefined) return '';
  const list = found.map((f) => `${f.name} (${f.count} ${f.count === 1 ? 'song' : 'songs'})`).join(', ');
  return `; the folders below it hold songs: ${list}. Give one of them, e.g. --dir ${join(root, example.name)} (MUSDB18's test split is its test folder)`;
}

/** How many entries of `dir` look like songs (a `.stem.mp4`, or a folder holding mixture.wav); none opened. */
async function songCandidates(dir: string): Promise<number> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  let count = 0;
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    if (entry.endsWith('.stem.mp4') || (await kindOf(join(dir, entry, 'mixture.wav'))) !== undefined) count++;
  }
  return count;
}

function lazyTrack(name: string, load: NonNullable<EvalTrack['load']>): EvalTrack {
  const stems = Object.fromEntries(STEM_NAMES.map((s) => [s, ''])) as StemFiles;
  return { name, mixture: '', stems, load };
}

/** `files` are the real paths of the folder's mixture, vocals, drums, bass and other WAVs, in that order. */
async function convertWavs(
  folder: string,
  files: readonly string[],
  workDir: string,
  signal?: AbortSignal,
): Promise<{ mixture: string; stems: StemFiles }> {
  const out = (name: string) => join(workDir, `${name}.wav`);
  // Each file probed first, so a damaged, empty or playlist "wav" is named in media's plain words
  // (MEDIA_UNREADABLE, MEDIA_EMPTY, MEDIA_REFUSED) rather than in ffmpeg's.
  for (const file of files) await probeMedia(file, { signal });
  // The user's own files, but read as any untrusted input is: a "mixture.wav" that is really a playlist
  // or an ffconcat list must not make ffmpeg read other files or URLs.
  const args = files.flatMap((file) => inputArgs(file));
  const maps = SOURCES.flatMap((name, n) => stemWavOutput(`${n}:a:0`, out(name)));
  await runFfmpeg([...args, ...maps], { what: `converting the stems of ${folder}`, signal });
  // Cut to the shortest when a few samples apart; a file that ends early would cut the whole song's score.
  const lengths = await Promise.all(
    SOURCES.map(async (name) => ({
      file: join(folder, `${name}.wav`),
      frames: (await readWavHeader(out(name))).frames,
    })),
  );
  commonStemLength(folder, lengths, STEM_SAMPLE_RATE);
  const stems = Object.fromEntries(STEM_NAMES.map((s) => [s, out(s)])) as StemFiles;
  return { mixture: out('mixture'), stems };
}
