import { inputArgs, isListDemuxer, refusedDemuxer } from './input-args.ts';
import { openInputs, type OpenedInputs, type Within } from './untrusted-inputs.ts';
import type { FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { ImkError } from '@imk/errors';
import { execa } from 'execa';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';
import { lastLines } from './ffmpeg-run.ts';
import { DEFAULT_PROBE_TIMEOUT_MS } from './probe-timeout.ts';
import { missingFileReason } from './missing-file.ts';
import './errors.ts';

export interface MediaStream {
  index: number;
  /** ffprobe's codec_type: audio, video, subtitle, data, attachment. */
  type: string;
  /** ffprobe's codec_name (aac, mp3, flac, pcm_f32le, h264, mjpeg, png...). */
  codec: string;
  sample_rate?: number;
  channels?: number;
  width?: number;
  height?: number;
  /** An attached picture (cover art), not a real video track. */
  is_cover: boolean;
  bit_rate?: number;
  duration_sec?: number;
  tags: Record<string, string>;
}

export interface MediaInfo {
  path: string;
  size_bytes: number;
  /** Duration in seconds; null when the container does not say (raw streams). */
  duration_sec: number | null;
  /** ffprobe's format_name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `mp3`, `flac`, `wav`. */
  format: string;
  bit_rate?: number;
  streams: MediaStream[];
  /** The first audio stream. */
  audio: MediaStream | undefined;
  /** The first real video stream (cover art excluded). */
  video: MediaStream | undefined;
  /** Container tags merged over the first audio stream's tags, keys lower-cased (artist, album, title...). */
  tags: Record<string, string>;
  has_cover: boolean;
}

export interface ProbeOptions {
  /** Throw MEDIA_NO_AUDIO when the file has no audio stream. @default true */
  requireAudio?: boolean;
  signal?: AbortSignal;
  /**
   * Milliseconds each ffprobe run may take before it is killed and MEDIA_PROBE_TIMEOUT thrown (services
   * pass their configured `probeTimeoutSec`; the default is that setting's default).
   */
  timeoutMs?: number;
  /**
   * The folder `file` was found inside (a job's bundle): the opened file is checked to be inside it still,
   * so a folder on its path swapped for a link since the caller's check is refused (see openInputs).
   */
  within?: Within;
  /**
   * `file` already opened by the caller the untrusted way (fs-safe openUntrusted): ffprobe reads this
   * descriptor, never the name again, so what is probed is the file the caller goes on to read (the inbox
   * probes, then copies and hashes, one dropped file). The caller closes it.
   */
  handle?: FileHandle;
  /**
   * Largest file probed, in bytes, for a use whose files are small (a cover image): a larger one is
   * MEDIA_UNREADABLE before ffprobe runs. ffprobe reads an image whole into memory (a 1.5 GB `cover.jpg`
   * of zeros took 1.5 GB), so a huge file where a small one belongs cost a worker gigabytes per look.
   * @default no limit (songs and videos are as large as they are)
   */
  maxBytes?: number;
}

/**
 * Reads what a media file holds, through ffprobe. Throws ImkError MEDIA_UNREADABLE (missing, not a file,
 * corrupt), MEDIA_EMPTY (zero bytes or no samples) or MEDIA_NO_AUDIO (no audio stream), each naming the file.
 */
export async function probeMedia(file: string, options: ProbeOptions = {}): Promise<MediaInfo> {
  const ffprobe = await resolveTool('ffprobe');
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams'];
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  // The size is of the descriptor ffprobe reads (its fstat), never a stat of the name: that follows a link,
  // and the name may stand for another file by then (MediaInfo.size_bytes is recorded, e.g. by the inbox).
  let size = 0;
  const result = await runProbe(
    ffprobe,
    file,
    args,
    options.signal,
    timeoutMs,
    { within: options.within, handle: options.handle },
    async (opened) => {
      if (opened === undefined) {
        const why = (await missingFileReason(file)) ?? 'it does not exist';
        throw new ImkError('MEDIA_UNREADABLE', `cannot read media file ${file}: ${why}`, {
          details: { file },
        });
      }
      size = opened;
      if (options.maxBytes !== undefined && size > options.maxBytes)
        throw new ImkError(
          'MEDIA_UNREADABLE',
          `media file ${file} is too large for its use (${size} bytes; at most ${options.maxBytes} are read here)`,
          { details: { file, bytes: size, max_bytes: options.maxBytes } },
        );
      if (size === 0)
        throw new ImkError(
          'MEDIA_EMPTY',
          `media file ${file} is empty (0 bytes); the download or copy may have failed`,
          { details: { file } },
        );
    },
  );
  if (result.isCanceled) throw new ImkError('ABORTED', `aborted while probing ${file}`);
  if (result.timedOut) throw probeTimeout(file, size, timeoutMs);
  const refused = refusedDemuxer(result.stderr);
  if (result.exitCode !== 0 && refused !== undefined) {
    // ffprobe picks image2 by a file's extension when its bytes are no image it knows: a name without a
    // sequence pattern (%03d, a glob) reads no other file, and such a file is simply not media.
    const namedImage = refused === 'image2' && !/[%*?[]/.test(basename(file));
    if (namedImage)
      throw new ImkError(
        options.requireAudio === false ? 'MEDIA_UNREADABLE' : 'MEDIA_NO_AUDIO',
        `media file ${file} is not an accepted audio or video format: its name says an image, but its content is no picture or sound ffprobe recognises`,
        { details: { file, format: refused } },
      );
    if (isListDemuxer(refused))
      throw new ImkError(
        'MEDIA_REFUSED',
        `refused media file ${file}: it is a ${refused} playlist or list of other files, which could make ffmpeg read other files; give a self-contained audio or video file`,
        { details: { file, format: refused } },
      );
    // Anything else outside the accepted formats (a text file read as "tty", …) is simply not media.
    throw new ImkError(
      options.requireAudio === false ? 'MEDIA_UNREADABLE' : 'MEDIA_NO_AUDIO',
      `media file ${file} is not an accepted audio or video format (ffprobe sees "${refused}")`,
      { details: { file, format: refused } },
    );
  }
  if (result.exitCode !== 0) {
    // ffprobe's "No such file" (the file went away) is no corruption: said as a missing file.
    const missing = await missingFileReason(file);
    if (missing !== undefined)
      throw new ImkError('MEDIA_UNREADABLE', `cannot read media file ${file}: ${missing}`, {
        details: { file },
      });
    throw new ImkError(
      'MEDIA_UNREADABLE',
      `cannot read media file ${file}: it is corrupt or not a media format ffprobe knows (${lastLines(result.stderr, 2) || `exit ${result.exitCode}`})`,
      { details: { file } },
    );
  }
  const info = parseProbeJson(file, size, result.stdout);
  if (options.requireAudio !== false && info.audio === undefined) {
    const found = info.streams.map((s) => `${s.type}/${s.codec}`).join(', ') || 'no streams';
    throw new ImkError(
      'MEDIA_NO_AUDIO',
      `media file ${file} has no audio stream (found: ${found}); give an audio or video file with sound`,
      {
        details: { file },
      },
    );
  }
  if (
    info.audio !== undefined &&
    (await hasNoAudioPackets(ffprobe, file, info, options.signal, timeoutMs, {
      within: options.within,
      handle: options.handle,
    }))
  ) {
    throw new ImkError('MEDIA_EMPTY', `media file ${file} has an audio stream with no samples`, {
      details: { file },
    });
  }
  return info;
}

/** Zero duration, or (when the container does not say) not even one audio packet at the start. */
async function hasNoAudioPackets(
  ffprobe: string,
  file: string,
  info: MediaInfo,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  source: ProbeSource,
): Promise<boolean> {
  const duration = info.audio?.duration_sec ?? info.duration_sec;
  if (duration !== null && duration !== undefined) return duration === 0;
  const args = [
    '-v',
    'error',
    '-select_streams',
    'a:0',
    '-read_intervals',
    '%+#1',
    '-show_entries',
    'packet=pts',
  ];
  const result = await runProbe(ffprobe, file, [...args, '-of', 'csv'], signal, timeoutMs, source);
  if (result.isCanceled) throw new ImkError('ABORTED', `aborted while probing ${file}`);
  if (result.timedOut) throw probeTimeout(file, info.size_bytes, timeoutMs);
  return result.exitCode === 0 && !result.stdout.includes('packet');
}

/**
 * Runs ffprobe on `file`, read from the descriptor opened and checked here (untrusted-inputs.ts): a file
 * that became a link, a FIFO or anything but a regular file since the caller looked is refused, naming it.
 * (Shared with not-whole.ts; not part of the package's API.)
 */
export async function runProbe(
  ffprobe: string,
  file: string,
  args: string[],
  signal: AbortSignal | undefined,
  timeoutMs: number,
  source: ProbeSource,
  /** Told the input's size once it is open (undefined: not there), before ffprobe runs; may refuse it. */
  onOpened?: (size: number | undefined) => Promise<void>,
): Promise<{ exitCode?: number; stdout: string; stderr: string; isCanceled: boolean; timedOut: boolean }> {
  let inputs: OpenedInputs;
  try {
    inputs = await openInputs([...args, ...inputArgs(file)], {
      ...(source.within !== undefined && { within: source.within }),
      ...(source.handle !== undefined && { opened: new Map([[file, source.handle]]) }),
    });
  } catch (cause) {
    throw new ImkError('MEDIA_UNREADABLE', `cannot read media file ${file}: ${errorText(cause)}`, {
      cause,
      details: { file },
    });
  }
  try {
    await onOpened?.(inputs.sizes[0]);
    const result = await trackToolGroup(
      execa(ffprobe, inputs.args, {
        ...OWN_PROCESS_GROUP,
        reject: false,
        cancelSignal: signal,
        stdio: inputs.stdio,
        timeout: timeoutMs,
        forceKillAfterDelay: 2000,
      }),
    );
    return { ...result, stderr: inputs.named(result.stderr) };
  } finally {
    await inputs.close();
  }
}

/** Where runProbe reads `file` from: the caller's open descriptor, else the name, held inside `within`. */
export interface ProbeSource {
  within: Within | undefined;
  handle: FileHandle | undefined;
}

/** ffprobe was stopped: the same file takes as long next time, so it is refused (not retried). */
export function probeTimeout(file: string, size: number, timeoutMs: number): ImkError {
  return new ImkError(
    'MEDIA_PROBE_TIMEOUT',
    `cannot read media file ${file}: ffprobe was still reading it after ${timeoutMs / 1000} s (${size} bytes) and was stopped; it is probably not a real media file (a huge sparse or damaged file); if it is, raise probeTimeoutSec in config/inbox.yaml or config/instrumental-maker.yaml`,
    { details: { file, size_bytes: size, timeout_ms: timeoutMs } },
  );
}

interface RawStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  sample_rate?: string;
  channels?: number;
  width?: number;
  height?: number;
  bit_rate?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
}

interface RawProbe {
  format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> };
  streams?: RawStream[];
}

/** Turns ffprobe's JSON into MediaInfo. */
export function parseProbeJson(file: string, size: number, json: string): MediaInfo {
  let raw: RawProbe;
  try {
    raw = JSON.parse(json) as RawProbe;
  } catch (cause) {
    throw new ImkError('MEDIA_UNREADABLE', `ffprobe gave unreadable output for ${file}`, {
      cause,
      details: { file },
    });
  }
  const streams: MediaStream[] = (raw.streams ?? []).map((s, i) => {
    const stream: MediaStream = {
      index: s.index ?? i,
      type: s.codec_type ?? 'unknown',
      codec: s.codec_name ?? 'unknown',
      is_cover: s.disposition?.attached_pic === 1,
      tags: lowerKeys(s.tags),
    };
    const sampleRate = num(s.sample_rate);
    if (sampleRate !== undefined) stream.sample_rate = sampleRate;
    if (s.channels !== undefined) stream.channels = s.channels;
    if (s.width !== undefined) stream.width = s.width;
    if (s.height !== undefined) stream.height = s.height;
    const bitRate = num(s.bit_rate);
    if (bitRate !== undefined) stream.bit_rate = bitRate;
    const duration = num(s.duration);
    if (duration !== undefined) stream.duration_sec = duration;
    return stream;
  });
  const audio = streams.find((s) => s.type === 'audio');
  const video = streams.find((s) => s.type === 'video' && !s.is_cover);
  const info: MediaInfo = {
    path: file,
    size_bytes: size,
    duration_sec: num(raw.format?.duration) ?? audio?.duration_sec ?? null,
    format: raw.format?.format_name ?? 'unknown',
    streams,
    audio,
    video,
    // Ogg/Opus keep their tags on the stream, most containers on the format: merge, the container winning.
    tags: { ...songTags(audio?.tags), ...lowerKeys(raw.format?.tags) },
    has_cover: streams.some((s) => s.is_cover),
  };
  const bitRate = num(raw.format?.bit_rate);
  if (bitRate !== undefined) info.bit_rate = bitRate;
  return info;
}

/** A song's names as its tags give them (trimmed; an empty tag is none). */
export interface TagNames {
  artist: string | undefined;
  title: string | undefined;
  album: string | undefined;
}

/**
 * The artist, title and album a file's tags give (MediaInfo.tags): the artist from the first of artist,
 * album_artist, albumartist, performer that has a value. The one reading of names from tags: the inbox's
 * job.json and the worker's names for a job.json that gives none.
 */
export function tagNames(info: Pick<MediaInfo, 'tags'>): TagNames {
  const tag = (...keys: string[]) => keys.map((key) => info.tags[key]?.trim()).find((value) => value);
  return {
    artist: tag('artist', 'album_artist', 'albumartist', 'performer'),
    title: tag('title'),
    album: tag('album'),
  };
}

/** Stream-level tags that describe the track's plumbing, not the song. */
const TECHNICAL_STREAM_TAGS = new Set([
  'handler_name',
  'vendor_id',
  'language',
  'encoder',
  'creation_time',
  'duration',
]);

function songTags(tags: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(tags ?? {}).filter(([key]) => !TECHNICAL_STREAM_TAGS.has(key)));
}

function lowerKeys(tags: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags ?? {})) out[key.toLowerCase()] = value;
  return out;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === 'N/A') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
