import { join } from 'node:path';
import { sha256AndBytesOf, sha256Buffer } from '@imk/fs-safe';
import type { Job } from '@imk/protocol';
import type { BundleFiles } from './bundle-files.ts';
import type { InstrumentalMakerConfig } from './config.ts';
import { displayName } from './naming.ts';
import { outputFingerprint, type ResolvedOptions } from './options.ts';
import { canonicalJson } from './stem-cache.ts';

export interface OutputKeyInput {
  job: Job;
  /** The claimed bundle, its cover and video held open since the job started (they are hashed there). */
  bundle: BundleFiles;
  inputName: string;
  inputSha256: string;
  engine: { name: string; version: string; params: Record<string, unknown> };
  options: ResolvedOptions;
  config: InstrumentalMakerConfig;
}

/**
 * A bundle file's sha256, of the descriptor held since the job started (the one its outputs are made
 * from, whatever job.json declares); null when it could not be opened.
 */
async function fileSha256(input: OutputKeyInput, name: string | undefined): Promise<string | null> {
  if (name === undefined) return null;
  if (name === input.inputName) return input.inputSha256;
  const held = input.bundle.opened.get(join(input.bundle.dir, name));
  return held === undefined ? null : ((await sha256AndBytesOf(held).catch(() => undefined))?.sha256 ?? null);
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
