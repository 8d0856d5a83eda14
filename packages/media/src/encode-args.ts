import { inputArgs } from './input-args.ts';
import { ImkError, isImkError } from '@imk/errors';
import { probeMedia } from './probe.ts';
import './errors.ts';
import type { Within } from './untrusted-inputs.ts';

/** Tags written to every output format (mapped by ffmpeg to ID3, Vorbis comments, iTunes atoms, RIFF INFO). */
export interface AudioTags {
  artist?: string;
  album?: string;
  title?: string;
  comment?: string;
  /** Any other tag ffmpeg knows for the format (album_artist, date, genre, track...). */
  [key: string]: string | undefined;
}

/**
 * ffmpeg's `-metadata key=value` arguments for `tags`. A NUL in a value (a title of job.json or a sidecar
 * may hold `\u0000`) is dropped: no argument can carry one (spawning ffmpeg threw "Arguments cannot contain
 * null bytes" after the whole separation, and the job was retried to fail the same way), and no tag format
 * stores one.
 */
export function metadataArgs(tags: AudioTags | undefined): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (value === undefined) continue;
    if (!/^[A-Za-z0-9_-]+$/.test(key))
      throw new ImkError('ENCODE_INVALID_OPTIONS', `tag name '${key}' is not a plain word`);
    args.push('-metadata', `${key}=${value.replaceAll('\0', '')}`);
  }
  return args;
}

export interface CoverArgs {
  inputArgs: string[];
  mapArgs: string[];
  codecArgs: string[];
}

/**
 * Largest cover image read, in bytes: cover art is kilobytes to a few megabytes (a 3000×3000 PNG is about
 * 20 MB); a larger "cover" is no picture to embed, and reading it whole would cost that much memory.
 */
export const COVER_MAX_BYTES = 32 * 1024 * 1024;

export interface CoverOptions {
  /**
   * The folder someone else writes that the cover comes from (a job's bundle): the opened image must be
   * inside it still (see OpenInputsOptions), so a folder on its path swapped for a link is refused.
   */
  within?: Within;
  /** Stops the look at the cover (ffprobe) and rejects with ImkError('ABORTED'). */
  signal?: AbortSignal;
}

/**
 * Arguments that embed an image as the attached picture (input number `inputIndex`). PNG and JPEG are copied
 * as they are; other images (webp thumbnails...) are converted to PNG, which every target container accepts.
 */
export async function coverArgs(
  cover: string,
  format: string,
  inputIndex: number,
  options: CoverOptions = {},
): Promise<CoverArgs> {
  const codec = await coverCodec(cover, options);
  const copy = codec === 'png' || codec === 'mjpeg';
  const codecArgs = ['-c:v', copy ? 'copy' : 'png', '-disposition:v:0', 'attached_pic'];
  // ID3 readers look for these two fields on the picture frame.
  if (format === 'mp3')
    codecArgs.push('-metadata:s:v:0', 'title=Album cover', '-metadata:s:v:0', 'comment=Cover (front)');
  return { inputArgs: inputArgs(cover), mapArgs: ['-map', `${inputIndex}:v:0`], codecArgs };
}

/**
 * The codec of the picture in `cover` (png, mjpeg, webp…); ImkError COVER_UNREADABLE naming the file when
 * it holds none, or is larger than COVER_MAX_BYTES (never read then). A caller that can go on without a
 * cover asks this first (the worker: a warning, no cover).
 */
export async function coverCodec(cover: string, options: CoverOptions = {}): Promise<string> {
  let codec: string | undefined;
  try {
    const info = await probeMedia(cover, { requireAudio: false, maxBytes: COVER_MAX_BYTES, ...options });
    // An image demuxer picked by the file's extension reports a 0x0 picture when the bytes are not an image.
    codec = info.streams.find((s) => s.type === 'video' && (s.width ?? 0) > 0 && (s.height ?? 0) > 0)?.codec;
  } catch (error) {
    if (!isImkError(error)) throw error;
    throw new ImkError('COVER_UNREADABLE', `cover image ${cover} cannot be read: ${error.message}`, {
      cause: error,
      details: { file: cover },
    });
  }
  if (codec === undefined) {
    throw new ImkError(
      'COVER_UNREADABLE',
      `cover image ${cover} holds no readable picture (use a png, jpeg or webp image)`,
      {
        details: { file: cover },
      },
    );
  }
  return codec;
}
