import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import {
  encodeAudio,
  replaceVideoAudio,
  writeStemMp4,
  type AudioTags,
  type ClipGuard,
  type LoudnessMeasurement,
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
  stems: StemFiles;
  /** The original input (the mixture stream of a .stem.mp4). */
  mixture: string;
  /** The bundle's video, when the job has one. */
  video?: string;
  /** The bundle's video, published as it came (kind video, variant source), when config says so. */
  sourceVideo?: string;
  /** The variant put under the video's picture. */
  videoVariant: string;
  /** Its recipe, when it is not one of `options.recipes` (the job's variant at tempo 1). */
  videoRecipe?: VariantRecipe;
  cover?: string;
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
   * Writes the file; returns its loudness when it was measured while writing, and how it was turned down
   * when its peak would have clipped.
   */
  run: (output: string) => Promise<{ loudness?: LoudnessMeasurement; clipGuard?: ClipGuard } | undefined>;
  /** Runs first: the longest tasks (several AAC streams, a video) should not start last. */
  heavy?: boolean;
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
  const { job, options, signal } = input;
  const baseTags: AudioTags = { artist: job.artist, album: job.album };
  const tasks: Task[] = [];
  for (const variant of options.variants) {
    const recipe = options.recipes[variant];
    const label = variantLabel(variant, recipe);
    tasks.push({
      artifact: {
        kind: 'audio',
        variant,
        label,
        path: audioPath(job, variant, options.format, recipe),
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
          tags: { ...baseTags, title: variantTitle(job, variant, recipe), comment: label },
          cover: input.cover,
          loudness: options.loudness,
          measureLoudness: LOSSLESS.has(options.format),
          avoidClipping: true,
          signal,
        }),
    });
  }
  for (const stem of options.keepStems) {
    tasks.push({
      artifact: {
        kind: 'stems',
        variant: stem,
        label: `Stem: ${stem}`,
        path: stemPath(job, stem, options.stemFormat),
      },
      run: (output) =>
        encodeAudio({
          input: input.stems[stem],
          output,
          format: options.stemFormat,
          bitDepth: options.bitDepth === 16 ? 16 : 24,
          tags: { ...baseTags, title: `${job.title ?? job.job_id} (${stem})` },
          measureLoudness: true,
          signal,
        }),
    });
  }
  if (options.keepStems.length > 0 && options.stemMp4) {
    tasks.push({
      artifact: {
        kind: 'stems',
        variant: 'stem_mp4',
        label: 'Stems (Native Instruments .stem.mp4)',
        path: stemMp4Path(job),
        streams: ['mixture', 'drums', 'bass', 'other', 'vocals'],
      },
      run: async (output) => {
        await writeStemMp4({
          output,
          streams: { mixture: input.mixture, ...input.stems },
          tags: { ...baseTags, title: job.title ?? displayName(job) },
          cover: input.cover,
          signal,
        });
        return undefined;
      },
      heavy: true,
    });
  }
  if (input.video !== undefined) {
    const variant = input.videoVariant;
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
        await copyFile(from, output);
        return undefined;
      },
    });
  }
  const artifacts: Artifact[] = new Array<Artifact>(tasks.length);
  let done = 0;
  const order = tasks
    .map((_, i) => i)
    .sort((a, b) => Number(tasks[b]!.heavy ?? false) - Number(tasks[a]!.heavy ?? false));
  await pool(
    order.map((i) => async () => {
      const task = tasks[i]!;
      const output = join(input.outDir, task.artifact.path);
      await mkdir(dirname(output), { recursive: true });
      const { loudness, clipGuard } = (await task.run(output)) ?? {};
      if (clipGuard !== undefined)
        input.logger?.warn(
          { path: task.artifact.path, gain_db: clipGuard.gainDb, peak_dbfs: clipGuard.peakDbfs },
          `${task.artifact.path} turned down by ${-clipGuard.gainDb} dB: its peak (${clipGuard.peakDbfs > 0 ? '+' : ''}${clipGuard.peakDbfs} dBFS) would have clipped`,
        );
      artifacts[i] = await describeArtifact(input.outDir, task.artifact, { signal, loudness, clipGuard });
      input.progress?.(++done / tasks.length);
    }),
    input.parallel ?? defaultParallel(),
  );
  return artifacts;
}
