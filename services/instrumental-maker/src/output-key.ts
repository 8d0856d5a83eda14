import { join } from 'node:path';
import { sha256Buffer, sha256File } from '@imk/fs-safe';
import type { Job } from '@imk/protocol';
import type { InstrumentalMakerConfig } from './config.ts';
import { displayName } from './naming.ts';
import { outputFingerprint, type ResolvedOptions } from './options.ts';
import { canonicalJson } from './stem-cache.ts';

export interface OutputKeyInput {
  job: Job;
  /** The bundle folder (the cover and the video are read there). */
  bundleDir: string;
  inputName: string;
  inputSha256: string;
  engine: { name: string; version: string; params: Record<string, unknown> };
  options: ResolvedOptions;
  config: InstrumentalMakerConfig;
}

/** A bundle file's sha256: declared in job.json (checked at claim), else hashed; undefined when unreadable. */
async function fileSha256(input: OutputKeyInput, name: string | undefined): Promise<string | null> {
  if (name === undefined) return null;
  if (name === input.inputName) return input.inputSha256;
  const declared = input.job.files?.find((file) => file.path === name)?.sha256;
  const untrusted = { name, within: input.bundleDir };
  return declared ?? (await sha256File(join(input.bundleDir, name), { untrusted }).catch(() => null));
}

/**
 * The key of a job's outputs besides its input: two jobs with the same input and the same key make the
 * same files, so that a duplicate (the duplicates policy) can link the earlier job's files as they are,
 * and an earlier attempt's published outputs are this job's. Besides the engine and the options, the
 * files carry the song's names and tags (artist, album, title, the job id when a name falls back to it),
 * its cover, and a video job's picture: a job with the same audio under another title, or without the
 * video, is not given the earlier job's files (named and tagged after that song, or a video it never had).
 */
export async function outputKey(input: OutputKeyInput): Promise<string> {
  const { job, config } = input;
  const untitled = !job.title?.trim() || displayName(job) === job.job_id;
  const video = await fileSha256(input, job.video_path);
  const song = {
    artist: job.artist ?? null,
    album: job.album ?? null,
    title: job.title ?? null,
    id_in_names: untitled ? job.job_id : null,
    cover: await fileSha256(input, job.cover_path),
    video:
      video === null
        ? null
        : {
            sha256: video,
            variant: config.video.variant,
            instrumental: config.video.instrumental,
            source: config.video.source,
          },
  };
  return sha256Buffer(
    canonicalJson({ engine: input.engine, outputs: outputFingerprint(input.options), song }),
  );
}
