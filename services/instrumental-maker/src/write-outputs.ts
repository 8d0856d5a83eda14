import { mkdir } from 'node:fs/promises';
import { copyOpenedFile, copyUntrustedFile } from '@imk/fs-safe';
import { dirname, extname, join } from 'node:path';
import {
  STEM_MP4_STREAMS,
  describeGuard,
  encodeAudio,
  encodeGroupWithinCeiling,
  encoderInputPeak,
  heldOpen,
  replaceVideoAudio,
  stemMp4Peak,
  writeStemMp4,
  type AudioTags,
  type ClipGuard,
  type GuardedFile,
  type LoudnessMeasurement,
  type Within,
  withinDir,
} from '@imk/media';
import type { Logger } from '@imk/log';
import type { Artifact, Job } from '@imk/protocol';
import type { StemFiles, VariantRecipe } from '@imk/separation';
import { describeArtifact, recipeFacts, type PlannedArtifact } from './artifacts.ts';
import {
  audioPath,
  displayName,
  sourceVideoPath,
  stemMp4Path,
  stemPath,
  variantLabel,
  variantTitle,
  videoPath,
} from './naming.ts';
import type { ResolvedOptions } from './options.ts';
import { defaultParallel, pool } from './pool.ts';
import type { ReportProgress } from './stage-runner.ts';

export interface WriteOutputsInput {
  job: Job;
  options: ResolvedOptions;
  /** The folder being built (`outputs/.<job_id>.partial-<consumer>/`). */
  outDir: string;
  /** Float WAV of each variant, by name. */
  variants: Record<string, string>;
  /** Absent when none were made (the video half of a mode "both" pair without the instrumental video). */
  stems: StemFiles | undefined;
  /** The original input (the mixture stream of a .stem.mp4). */
  mixture: string;
  /** The bundle's video, when the job has one. */
  video?: string;
  /** The bundle's video, published as it came (kind video, variant source), when config says so. */
  sourceVideo?: string;
  /** The variant put under the video's picture (needed with `video`). */
  videoVariant: string | undefined;
  /** The variants are mixes saved from the mixer: named by their own names (see NameOptions). */
  mix?: boolean;
  /** Its recipe, when it is not one of `options.recipes` (the job's variant at tempo 1). */
  videoRecipe?: VariantRecipe;
  cover?: string;
  /**
   * The claimed bundle the job's own files come from (the input, its video, its cover): every read of one
   * of them is held inside it (see @imk/media's OpenInputsOptions), so a folder on their path swapped for
   * a link to a file elsewhere after the claim's check is refused, never encoded, embedded or published.
   * Those the bundle holds open (the worker opens them when the job starts) are read from that descriptor.
   */
  within: Within;
  signal?: AbortSignal;
  progress?: ReportProgress;
  /** The job's logger: says which mix was turned down so that it does not clip. */
  logger?: Logger;
  /** ffmpeg processes at once for this job. @default one per core */
  parallel?: number;
}

interface Task {
  artifact: PlannedArtifact;
  /**
   * Writes the file (a kept stem: with the stems' common gain); returns its loudness when it was measured
   * while writing, and how it was turned down when its peak would have clipped.
   */
  run: (
    output: string,
    gain?: number,
  ) => Promise<{ loudness?: LoudnessMeasurement; clipGuard?: ClipGuard } | undefined>;
  /** Runs first: the longest tasks (several AAC streams, a video) should not start last. */
  heavy?: boolean;
  /**
   * A kept stem (or the .stem.mp4): the format it is written in and how to measure the peak its encoder
   * gets. The kept stems are turned down alike when one would clip, so that they still sum to the mixture.
   */
  stem?: Omit<GuardedFile, 'peak'> & { peak: () => Promise<number> };
}

/** Formats whose encoder input is exactly the file's audio, so that it is measured while encoding. */
const LOSSLESS: ReadonlySet<string> = new Set(['flac', 'wav']);

/**
 * Encodes everything a job produces into its output folder, with the names users know: each variant
 * (`files/audio/Artist - Title (no drum).m4a`), kept stems (`files/stems/…`, plus a `.stem.mp4`), and for
 * a video bundle the video with the chosen variant as its sound (`files/video/Artist - Title.mp4`).
 * Independent files are written concurrently, and each is described for the manifest (sha256, probe,
 * loudness) as soon as it is written, while the others still encode. Returns them in a stable order.
 */
export async function writeOutputs(input: WriteOutputsInput): Promise<Artifact[]> {
  const { job, options, signal, within } = input;
  const baseTags: AudioTags = { artist: job.artist, album: job.album };
  const tasks: Task[] = [];
  // The video half of a mode "both" pair: its audio job publishes the variants (and the stems).
  const audioVariants = options.videoOnly === true ? [] : options.variants;
  for (const variant of audioVariants) {
    const recipe = options.recipes[variant];
    const label = variantLabel(variant, recipe);
    tasks.push({
      artifact: {
        kind: 'audio',
        variant,
        label,
        path: audioPath(job, variant, options.format, recipe, { mix: input.mix, suffixes: options.suffixes }),
        ...recipeFacts(recipe),
      },
      // A mix (stems summed, levels above 1) can go over full scale, where the stems never did.
      run: (output) =>
        encodeAudio({
          input: input.variants[variant]!,
          output,
          format: options.format,
          sampleRate: options.sampleRate,
          bitDepth: options.bitDepth,
          bitrate: options.bitrate,
          tags: {
            ...baseTags,
            title: variantTitle(job, variant, recipe, { mix: input.mix, suffixes: options.suffixes }),
            comment: label,
          },
          cover: input.cover,
          loudness: options.loudness,
          measureLoudness: LOSSLESS.has(options.format),
          avoidClipping: true,
          within,
          signal,
        }),
    });
  }
  const stemDepth = options.bitDepth === 16 ? 16 : 24;
  // No stems: the video half of a pair without the instrumental video, which keeps none (options.ts).
  const stemFiles = input.stems;
  for (const stem of stemFiles === undefined ? [] : options.keepStems) {
    tasks.push({
      artifact: {
        kind: 'stems',
        variant: stem,
        label: `Stem: ${stem}`,
        path: stemPath(job, stem, options.stemFormat),
      },
      run: (output, gain) =>
        encodeAudio({
          input: stemFiles![stem],
          output,
          format: options.stemFormat,
          bitDepth: stemDepth,
          tags: { ...baseTags, title: `${job.title ?? job.job_id} (${stem})` },
          measureLoudness: true,
          ...(gain !== undefined && { gain }),
          within,
          signal,
        }),
      stem: {
        format: options.stemFormat,
        bitDepth: stemDepth,
        peak: () => encoderInputPeak({ input: stemFiles![stem], signal, within }),
      },
    });
  }
  if (stemFiles !== undefined && options.keepStems.length > 0 && options.stemMp4) {
    tasks.push({
      artifact: {
        kind: 'stems',
        variant: 'stem_mp4',
        label: 'Stems (Native Instruments .stem.mp4)',
        path: stemMp4Path(job),
        streams: ['mixture', 'drums', 'bass', 'other', 'vocals'],
      },
      run: async (output, gain) => {
        await writeStemMp4({
          output,
          streams: { mixture: input.mixture, ...stemFiles },
          tags: { ...baseTags, title: job.title ?? displayName(job) },
          cover: input.cover,
          ...(gain !== undefined && { gain }),
          within,
          signal,
        });
        return undefined;
      },
      heavy: true,
      stem: {
        format: 'm4a',
        streams: STEM_MP4_STREAMS,
        peak: () => stemMp4Peak({ mixture: input.mixture, ...stemFiles }, signal, within),
      },
    });
  }
  // No sound for it: nothing was mixed, the instrumental video being off (the caller then gives no video).
  const variant = input.videoVariant;
  if (input.video !== undefined && variant !== undefined) {
    const recipe = input.videoRecipe ?? options.recipes[variant];
    tasks.push({
      artifact: {
        kind: 'video',
        variant,
        label: `Video: ${variantLabel(variant, recipe)}`,
        path: videoPath(job),
        ...recipeFacts(recipe),
      },
      run: (output) =>
        replaceVideoAudio({
          video: input.video!,
          audio: input.variants[variant]!,
          output,
          bitrate: options.bitrate,
          avoidClipping: true,
          within,
          signal,
        }),
      heavy: true,
    });
  }
  if (input.sourceVideo !== undefined) {
    const from = input.sourceVideo;
    tasks.push({
      // The earlier version delivered the source video itself; its routes (video/source) expect it.
      artifact: {
        kind: 'video',
        variant: 'source',
        label: 'Source video',
        path: sourceVideoPath(job, extname(from)),
      },
      run: async (output) => {
        const name = job.video_path ?? from;
        const held = heldOpen(within, from);
        if (held !== undefined) await copyOpenedFile(held, output, { name });
        else await copyUntrustedFile(from, output, { within: withinDir(within)!, name });
        return undefined;
      },
    });
  }
  const artifacts: Artifact[] = new Array<Artifact>(tasks.length);
  const parallel = input.parallel ?? defaultParallel();
  let done = 0;
  const heavyFirst = (a: number, b: number) =>
    Number(tasks[b]!.heavy ?? false) - Number(tasks[a]!.heavy ?? false);
  const stems = tasks.flatMap((task, i) => (task.stem === undefined ? [] : [i]));
  const peaks: number[] = new Array<number>(stems.length);
  await pool(
    stems.map((i, k) => async () => {
      peaks[k] = await tasks[i]!.stem!.peak();
    }),
    parallel,
  );
  const files: GuardedFile[] = stems.map((i, k) => ({ ...tasks[i]!.stem!, peak: peaks[k]! }));
  let stemGuard: ClipGuard | undefined;
  let first = true;
  // Everything is written in one pool; the kept stems again (alone) only when a lossy one came out over
  // full scale and the common gain has to go further down.
  const guard = await encodeGroupWithinCeiling(
    files,
    async (gain) => {
      stemGuard = gain === undefined ? undefined : describeGuard(gain, Math.max(...files.map((f) => f.peak)));
      const run = first ? tasks.map((_, i) => i) : [...stems];
      first = false;
      await pool(
        run.sort(heavyFirst).map((i) => async () => {
          const task = tasks[i]!;
          const output = join(input.outDir, task.artifact.path);
          await mkdir(dirname(output), { recursive: true });
          const written = await task.run(output, task.stem === undefined ? undefined : gain);
          const clipGuard = task.stem === undefined ? written?.clipGuard : stemGuard;
          if (clipGuard !== undefined && task.stem === undefined)
            logTurnedDown(input.logger, task, clipGuard);
          artifacts[i] = await describeArtifact(input.outDir, task.artifact, {
            signal,
            loudness: written?.loudness,
            clipGuard,
          });
          input.progress?.(Math.min(1, ++done / tasks.length));
        }),
        parallel,
      );
      return stems.map((i) => join(input.outDir, tasks[i]!.artifact.path));
    },
    signal,
  );
  if (guard !== undefined) {
    const worst = tasks[stems[guard.file]!]!.artifact.path;
    input.logger?.warn(
      { paths: stems.map((i) => tasks[i]!.artifact.path), gain_db: guard.gainDb, peak_dbfs: guard.peakDbfs },
      `kept stems turned down by ${-guard.gainDb} dB, all alike so that they still sum to the mixture: ${worst}'s peak (${signed(guard.peakDbfs)} dBFS) would have clipped`,
    );
  }
  return artifacts;
}

function signed(db: number): string {
  return `${db > 0 ? '+' : ''}${db}`;
}

function logTurnedDown(logger: Logger | undefined, task: Task, clipGuard: ClipGuard): void {
  logger?.warn(
    { path: task.artifact.path, gain_db: clipGuard.gainDb, peak_dbfs: clipGuard.peakDbfs },
    `${task.artifact.path} turned down by ${-clipGuard.gainDb} dB: its peak (${signed(clipGuard.peakDbfs)} dBFS) would have clipped`,
  );
}
