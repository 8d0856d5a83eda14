// A media file not whole yet: a copy or download still going on (or stopped), told by what the file
// declares of itself against what it holds. One rule for every format: a container that states its size or
// its end (a WAV's data chunk, MP4's boxes, Ogg's last page) is read from its bytes, before ffprobe (which
// refuses an MP4 whose index is not there yet: "moov atom not found"); one that states its length (FLAC's
// sample count, an MP3's Xing header, Matroska's duration, MP4's index) is read to its end by ffprobe. A
// file given its full size before it is filled (Windows over SMB) ends in zeros: told for compressed
// formats (FLAC, MP3, an MP4's compressed frames), never for a WAV or an MP4's PCM, whose silence is zeros
// too. An MP3 whose Xing header overstates its length but that ends on a whole frame is whole.
import { open, type FileHandle } from 'node:fs/promises';
import { ImkError } from '@imk/errors';
import { resolveTool } from '@imk/tools';
import { endsOnWholeMpegFrame } from './mpeg-frames.ts';
import { mp4HasPcmSound } from './mp4-sound.ts';
import { DEFAULT_PROBE_TIMEOUT_MS } from './probe-timeout.ts';
import { probeTimeout, runProbe, type MediaInfo } from './probe.ts';
import { wavLengthsOf } from './wav-declared.ts';

// A WAV holding this much less than its header declares is not whole: more than a header's size at any
// usual rate, so a writer whose data size counts its header too (off by some 44 bytes) is still taken.
const WAV_SHORT_BY_SEC = 0.01;
// A stated length is met to within a packet or two (an encoder's padding): a file that ends earlier than
// this before it was not written to its end.
const HELD_SHORT_BY_SEC = 0.5;
// ffprobe reads the packets from this long before the stated end (a seek, then a few packets: cheap).
const TAIL_SEC = 5;
// The first box of an MP4/M4A (ISO BMFF, QuickTime): how it is recognised.
const MP4_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);
// A run of zeros this long at the end of a compressed file is no audio frame: space not written yet.
const ZERO_TAIL_BYTES = 4096;
// The largest Ogg page: its 27-byte header, 255 lacing values, 255 segments of 255 bytes.
const OGG_MAX_PAGE = 27 + 255 + 255 * 255;

/**
 * What a file's own container says of its end against what the file holds, read from its bytes (no
 * ffprobe): how it is not whole, said after its name ("holds 9.6 s of the 20 s its WAV header declares"),
 * or undefined when it looks whole. Read: a WAV's data size, an MP4's boxes (and zeros after its frames),
 * an Ogg file's last page, zeros ending a FLAC or MP3; the rest is notWholeByLength's.
 */
export async function notWholeByBytes(handle: FileHandle): Promise<string | undefined> {
  const { size } = await handle.stat();
  const head = Buffer.alloc(12);
  await handle.read(head, 0, 12, 0);
  const magic = head.toString('latin1', 0, 4);
  if (magic === 'RIFF') {
    const wav = await wavLengthsOf(handle);
    if (wav === undefined || wav.declaredSec - wav.heldSec <= WAV_SHORT_BY_SEC) return undefined;
    return `holds ${formatSec(wav.heldSec)} s of the ${formatSec(wav.declaredSec)} s its WAV header declares`;
  }
  if (magic === 'OggS') return oggNotWhole(handle, size);
  if (MP4_FIRST_BOXES.has(head.toString('latin1', 4, 8))) return mp4NotWhole(handle, size);
  // FLAC, and MP3 (an ID3v2 tag, or a frame's sync bits, first): compressed frames end the file.
  if (magic === 'fLaC' || magic.startsWith('ID3') || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0))
    return zeroTail(handle, size);
  return undefined;
}

/**
 * A file whose last bytes are all zeros where compressed audio frames (never a long run of zeros) should
 * be: a copy that set the file's full size first and fills it in order (Windows over SMB), paused. Not
 * asked of a WAV (or any PCM): its silence is zeros, the same bytes as a gap not written yet.
 */
async function zeroTail(handle: FileHandle, size: number): Promise<string | undefined> {
  if (size < ZERO_TAIL_BYTES * 2) return undefined;
  const tail = Buffer.alloc(ZERO_TAIL_BYTES);
  await handle.read(tail, 0, ZERO_TAIL_BYTES, size - ZERO_TAIL_BYTES);
  if (tail.some((byte) => byte !== 0)) return undefined;
  return `ends in zeros where its audio should be (its last ${ZERO_TAIL_BYTES} bytes and more: a copy that set the file's full size first and has not written the rest yet)`;
}

/**
 * The length a probed file states (`info`: probeMedia's of it) against where its audio ends, read by
 * ffprobe from a little before that length: how it is not whole ("holds 9.6 s of the 20 s its header
 * declares"), or undefined. A length ffprobe only estimates from the bitrate (an MP3 without a Xing header)
 * says nothing and is not compared.
 */
export async function notWholeByLength(
  file: string,
  info: MediaInfo,
  options: { handle?: FileHandle; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string | undefined> {
  const declared = info.audio?.duration_sec ?? info.duration_sec;
  if (info.audio === undefined || declared === null || declared === undefined || !(declared > 0))
    return undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const from = Math.max(0, declared - TAIL_SEC);
  const args = ['-v', 'warning', '-select_streams', 'a:0', '-read_intervals', `${from}%`];
  const result = await runProbe(
    await resolveTool('ffprobe'),
    file,
    [...args, '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0'],
    options.signal,
    timeoutMs,
    { within: undefined, handle: options.handle },
  );
  if (result.isCanceled) throw new ImkError('ABORTED', `aborted while probing ${file}`);
  if (result.timedOut) throw probeTimeout(file, info.size_bytes, timeoutMs);
  if (result.exitCode !== 0 || result.stderr.includes('Estimating duration from bitrate')) return undefined;
  let held: number | undefined;
  for (const line of result.stdout.split('\n')) {
    const [pts, duration] = line.split(',').map(Number);
    if (pts === undefined || !Number.isFinite(pts)) continue;
    const end = pts + (duration !== undefined && Number.isFinite(duration) ? duration : 0);
    held = Math.max(held ?? end, end);
  }
  if (held !== undefined && declared - held <= HELD_SHORT_BY_SEC) return undefined;
  // An MP3 whose Xing header overstates its length (an encoder's or a cutter's miscount) is whole when it
  // ends on a whole frame: a copy stopped mid-way ends inside one. The caller has seen its size and mtime
  // stop changing; the worker's manifest says it decodes to less than its header declares.
  if (info.format === 'mp3' && (await endsOnWholeFrame(file, options.handle))) return undefined;
  const holds = held === undefined ? `less than ${formatSec(from)} s` : `${formatSec(held)} s`;
  return `holds ${holds} of the ${formatSec(declared)} s its header declares`;
}

/** endsOnWholeMpegFrame of the file, read from `handle` when given, else opened by name. */
async function endsOnWholeFrame(file: string, handle: FileHandle | undefined): Promise<boolean> {
  if (handle !== undefined) return endsOnWholeMpegFrame(handle);
  const opened = await open(file, 'r');
  try {
    return await endsOnWholeMpegFrame(opened);
  } finally {
    await opened.close();
  }
}

/** An MP4's top-level boxes: one that runs past the end of the file, or no index ("moov") at all. */
async function mp4NotWhole(handle: FileHandle, size: number): Promise<string | undefined> {
  const header = Buffer.alloc(16);
  let offset = 0;
  let index: { start: number; end: number } | undefined;
  let last = '';
  for (let boxes = 0; offset + 8 <= size && boxes < 100_000; boxes++) {
    header.fill(0);
    await handle.read(header, 0, 16, offset);
    const type = header.toString('latin1', 4, 8);
    const stated = header.readUInt32BE(0);
    // 1: a 64-bit size follows; 0: the box runs to the end of the file.
    const length = stated === 1 ? Number(header.readBigUInt64BE(8)) : stated === 0 ? size - offset : stated;
    // Not boxes as they are written: ffprobe says what the file is.
    if (length < 8) return undefined;
    if (type === 'moov') index = { start: offset + (stated === 1 ? 16 : 8), end: offset + length };
    last = type;
    if (offset + length > size)
      return `holds ${size} of the ${offset + length} bytes its MP4 boxes declare (its "${type.replace(/[^\x20-\x7e]/g, '?')}" box is cut short)`;
    offset += length;
  }
  if (index === undefined) return 'has no index yet (no "moov" box: ffprobe\'s "moov atom not found")';
  // Its index first (faststart), then its frames: zeros at the end of those are frames not written yet…
  if (last !== 'mdat') return undefined;
  // …unless the frames are PCM, whose silence is zeros (as a WAV's): its boxes, every one as long as it
  // says and none past the end, say how much was written, as a WAV's header does.
  if (await mp4HasPcmSound(handle, index.start, Math.min(index.end, size))) return undefined;
  return zeroTail(handle, size);
}

/** An Ogg file ends with a whole page flagged end-of-stream (its last granule is its length). */
async function oggNotWhole(handle: FileHandle, size: number): Promise<string | undefined> {
  const length = Math.min(size, OGG_MAX_PAGE);
  const tail = Buffer.alloc(length);
  await handle.read(tail, 0, length, size - length);
  // The page the file ends with: the last "OggS" whose header and segments end exactly at the end (the
  // same four bytes inside a page's audio end elsewhere).
  for (let at = tail.lastIndexOf('OggS'); at >= 0; at = at === 0 ? -1 : tail.lastIndexOf('OggS', at - 1)) {
    const segments = tail[at + 26];
    if (tail[at + 4] !== 0 || segments === undefined || at + 27 + segments > length) continue;
    let end = at + 27 + segments;
    for (let i = 0; i < segments; i++) end += tail[at + 27 + i] ?? 0;
    if (end !== length) continue;
    if (((tail[at + 5] ?? 0) & 0x04) !== 0) return undefined;
    return 'ends on an Ogg page that is not its last (no end-of-stream flag)';
  }
  return 'ends inside an Ogg page (its last page is cut short)';
}

/** Seconds as said in a reason: up to 3 decimals, no trailing zeros. */
function formatSec(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000);
}
