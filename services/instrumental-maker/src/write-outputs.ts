import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encodeAudio, replaceVideoAudio, writeStemMp4, type AudioTags } from '@imk/media';
import type { Job } from '@imk/protocol';
import type { StemFiles } from '@imk/separation';
import type { PlannedArtifact } from './artifacts.ts';
import {
  audioPath,
  displayName,
  stemMp4Path,
  stemPath,
  variantLabel,
  variantTitle,
  videoPath,
} from './naming.ts';
import type { ResolvedOptions } from './options.ts';
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
  /** The variant put under the video's picture. */
  videoVariant: string;
  cover?: string;
  signal?: AbortSignal;
  progress?: ReportProgress;
  /** ffmpeg processes at once for this job. @default 2 */
  parallel?: number;
}

interface Task {
  artifact: PlannedArtifact;
  run: (output: string) => Promise<void>;
}

/** Runs tasks with at most `limit` at once; the first failure stops new ones and is thrown. */
async function pool(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (failed === undefined && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (failed !== undefined) throw failed as Error;
}

/**
 * Encodes everything a job produces into its output folder, with the names users know: each variant
 * (`files/audio/Artist - Title (no drum).m4a`), kept stems (`files/stems/…`, plus a `.stem.mp4`), and for
 * a video bundle the video with the chosen variant as its sound (`files/video/Artist - Title.mp4`).
 */
export async function writeOutputs(input: WriteOutputsInput): Promise<PlannedArtifact[]> {
  const { job, options, signal } = input;
  const baseTags: AudioTags = { artist: job.artist, album: job.album };
  const tasks: Task[] = [];
  for (const variant of options.variants) {
    const label = variantLabel(variant, options.recipes[variant]);
    tasks.push({
      artifact: { kind: 'audio', variant, label, path: audioPath(job, variant, options.format) },
      run: (output) =>
        encodeAudio({
          input: input.variants[variant]!,
          output,
          format: options.format,
          sampleRate: options.sampleRate,
          bitDepth: options.bitDepth,
          bitrate: options.bitrate,
          tags: { ...baseTags, title: variantTitle(job, variant), comment: label },
          cover: input.cover,
          loudness: options.loudness,
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
      run: (output) =>
        writeStemMp4({
          output,
          streams: { mixture: input.mixture, ...input.stems },
          tags: { ...baseTags, title: job.title ?? displayName(job) },
          cover: input.cover,
          signal,
        }),
    });
  }
  if (input.video !== undefined) {
    const variant = input.videoVariant;
    tasks.push({
      artifact: {
        kind: 'video',
        variant,
        label: `Video: ${variantLabel(variant, options.recipes[variant])}`,
        path: videoPath(job),
      },
      run: (output) =>
        replaceVideoAudio({
          video: input.video!,
          audio: input.variants[variant]!,
          output,
          bitrate: options.bitrate,
          signal,
        }),
    });
  }
  let done = 0;
  await pool(
    tasks.map((task) => async () => {
      const output = join(input.outDir, task.artifact.path);
      await mkdir(dirname(output), { recursive: true });
      await task.run(output);
      input.progress?.(++done / tasks.length);
    }),
    input.parallel ?? 2,
  );
  return tasks.map((task) => task.artifact);
}
