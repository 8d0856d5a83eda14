import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImkError } from '@imk/errors';
import { inputArgs, probeMedia, readWavHeader, runFfmpeg, songFileName } from '@imk/media';
import { STEM_NAMES, type StemName } from '@imk/protocol';
import type { StemFiles } from '../engine.ts';
import { STEM_SAMPLE_RATE } from '../pcm-source.ts';
import { commonStemLength } from '../stem-lengths.ts';
import { ensureCorpus, type EnsureCorpusOptions } from '../corpus/corpus.ts';
import { CORPUS_ITEMS } from '../corpus/items.ts';
import { regularFile } from './regular-file.ts';
import type { EvalSplit } from './scores.ts';
import '../errors.ts';

/** One song with known stems; every file float WAV at 44.1 kHz stereo. */
export interface EvalTrack {
  name: string;
  mixture: string;
  stems: StemFiles;
  /**
   * Tracks of a user's folder are converted when their turn comes (a whole MUSDB18 track is ~400 MB as float
   * WAV): `load` writes the float WAVs into `workDir` (removed after the track) and returns their paths.
   */
  load?: (workDir: string, signal?: AbortSignal) => Promise<{ mixture: string; stems: StemFiles }>;
}

export interface EvalSet {
  id: string;
  title: string;
  /** `tune` songs may guide parameter choices; `test` songs are held out and are what is reported. */
  split: EvalSplit;
  tracks: EvalTrack[];
  /** Why the set is empty (e.g. the real excerpt was not found, and where it was looked for). */
  missing?: string;
}

export const MUSDB_SAMPLE_FOLDER = 'musdb18-sample';
/** Audio streams of a Native Instruments .stem.mp4, in order (stream 0 is the mixture). */
const STEM_MP4_ORDER: StemName[] = ['drums', 'bass', 'other', 'vocals'];

/**
 * Folders that may hold `musdb18-sample/`: $IMK_EVAL_DIR (the eval folder, or the sample folder itself),
 * then `../shared/eval` beside the repository this package lives in, then beside `root` if given.
 */
export function evalDirCandidates(env: NodeJS.ProcessEnv = process.env, root?: string): string[] {
  const candidates: string[] = [];
  if (env.IMK_EVAL_DIR !== undefined && env.IMK_EVAL_DIR !== '') candidates.push(resolve(env.IMK_EVAL_DIR));
  const repo = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
  if (repo !== undefined) candidates.push(join(repo, '..', 'shared', 'eval'));
  if (root !== undefined) candidates.push(join(resolve(root), '..', 'shared', 'eval'));
  return [...new Set(candidates)];
}

/** The `.stem.mp4` of the real excerpt, or undefined with the folders searched. */
export function findMusdbSample(
  env: NodeJS.ProcessEnv = process.env,
  root?: string,
): { file?: string; searched: string[] } {
  const searched = evalDirCandidates(env, root);
  for (const dir of searched) {
    for (const folder of [join(dir, MUSDB_SAMPLE_FOLDER), dir]) {
      if (!existsSync(folder)) continue;
      const stem = readdirSync(folder).find((name) => name.endsWith('.stem.mp4'));
      if (stem !== undefined) return { file: join(folder, stem), searched };
    }
  }
  return { searched };
}

/** The real excerpt as an eval set: its five AAC streams extracted to float WAVs in `workDir`. */
export async function musdbSampleSet(
  workDir: string,
  options: { env?: NodeJS.ProcessEnv; root?: string; signal?: AbortSignal } = {},
): Promise<EvalSet> {
  const found = findMusdbSample(options.env, options.root);
  const title = 'MUSDB18 7-s sample';
  if (found.file === undefined) {
    return {
      id: MUSDB_SAMPLE_FOLDER,
      title,
      split: 'test',
      tracks: [],
      missing: `real excerpt not found: no ${MUSDB_SAMPLE_FOLDER}/*.stem.mp4 in ${found.searched.join(', ') || '(nowhere to look)'}; set IMK_EVAL_DIR to the folder holding ${MUSDB_SAMPLE_FOLDER}/`,
    };
  }
  const track = await extractStemMp4(found.file, workDir, options.signal);
  const name = songFileName(found.file);
  return { id: MUSDB_SAMPLE_FOLDER, title, split: 'test', tracks: [{ name, ...track }] };
}

/** ffmpeg's output arguments that write input stream `stream` (`0:a:1`) to `path` as a stem file is: float WAV, 44.1 kHz stereo. */
export function stemWavOutput(stream: string, path: string): string[] {
  return ['-map', stream, '-ar', String(STEM_SAMPLE_RATE), '-ac', '2', '-c:a', 'pcm_f32le', path];
}

/** The five streams of a MUSDB18 `.stem.mp4` as float WAVs (44.1 kHz stereo) in `workDir`. */
export async function extractStemMp4(
  file: string,
  workDir: string,
  signal?: AbortSignal,
): Promise<{ mixture: string; stems: StemFiles }> {
  const out = (name: string) => join(workDir, `${name}.wav`);
  const outputs = ['mixture', ...STEM_MP4_ORDER].flatMap((name, n) => stemWavOutput(`0:a:${n}`, out(name)));
  const real = await regularFile(file);
  // Said plainly, before ffmpeg's "Stream map '0:a:3' matches no streams … add a trailing '?'".
  const streams = (await probeMedia(real, { signal })).streams.filter((s) => s.type === 'audio').length;
  if (streams < STEM_MP4_ORDER.length + 1)
    throw new ImkError(
      'EVAL_DIR_INVALID',
      `${file} has ${streams} audio stream${streams === 1 ? '' : 's'}; a MUSDB18 .stem.mp4 has ${STEM_MP4_ORDER.length + 1} (mixture, ${STEM_MP4_ORDER.join(', ')}, in that order)`,
      { details: { file, streams } },
    );
  await runFfmpeg([...inputArgs(real), ...outputs], { what: `extracting the stems of ${file}`, signal });
  // Its AAC streams may differ by a few samples (cut to the shortest), never by more.
  const names = ['mixture', ...STEM_MP4_ORDER];
  const lengths = await Promise.all(
    names.map(async (name, n) => ({
      file: `its stream ${n + 1} (${name})`,
      frames: (await readWavHeader(out(name))).frames,
    })),
  );
  commonStemLength(file, lengths, STEM_SAMPLE_RATE);
  const stems = Object.fromEntries(STEM_NAMES.map((stem) => [stem, out(stem)])) as StemFiles;
  return { mixture: out('mixture'), stems };
}

/** The synthetic corpus (or the first `limit` items) as an eval set. */
export async function syntheticSet(options: EnsureCorpusOptions & { limit?: number } = {}): Promise<EvalSet> {
  const { limit, ...rest } = options;
  const specs = (rest.items ?? CORPUS_ITEMS).slice(0, limit);
  const items = await ensureCorpus({ ...rest, items: specs });
  const tracks = items.map((item) => ({ name: item.id, mixture: item.mixture, stems: item.stems }));
  return { id: 'synthetic', title: 'synthetic corpus', split: 'tune', tracks };
}

function findRepoRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ('workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object)) return dir;
      } catch {
        // not a readable package.json: keep walking up
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}
