// Whether an MPEG audio file (MP3, MP2) ends on a whole frame: its last frame header's length reaches the
// file's end exactly (before the tags a tagger appends: APEv2, Lyrics3, ID3v1). A copy stopped mid-way ends
// inside a frame (a frame is some 400 bytes; a copy writes in blocks of kilobytes); a whole file whose Xing
// header overstates its length (an encoder's or a cutter's miscount) ends on its last frame.
import type { FileHandle } from 'node:fs/promises';

// Bitrates (kbit/s) by [version is MPEG-1][layer 1..3] and the header's index 1..14 (0 is free format).
const BITRATES_V1 = [
  [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const BITRATES_V2 = [
  [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
// Sample rates by version bits (0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1) and the header's index.
const SAMPLE_RATES: Record<number, readonly number[]> = {
  0: [11025, 12000, 8000],
  2: [22050, 24000, 16000],
  3: [44100, 48000, 32000],
};
// Longer than the last two frames of any MPEG audio stream (layer II at 384 kbit/s, 32 kHz: 1728 bytes).
const TAIL_BYTES = 8192;

interface FrameHeader {
  /** Version, layer and sample rate bits: equal for every frame of one stream. */
  kind: number;
  length: number;
}

/** The frame header at `at` of `bytes`, or undefined when the bytes there are not one. */
function frameAt(bytes: Buffer, at: number): FrameHeader | undefined {
  if (at + 4 > bytes.length || bytes[at] !== 0xff) return undefined;
  const b1 = bytes[at + 1]!;
  const b2 = bytes[at + 2]!;
  if ((b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layer = 4 - ((b1 >> 1) & 3);
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  const rate = SAMPLE_RATES[version]?.[rateIndex];
  if (layer > 3 || bitrateIndex === 0 || bitrateIndex === 15 || rate === undefined) return undefined;
  const v1 = version === 3;
  const bitrate = (v1 ? BITRATES_V1 : BITRATES_V2)[layer - 1]![bitrateIndex - 1]! * 1000;
  const padding = (b2 >> 1) & 1;
  const length =
    layer === 1
      ? (Math.floor((12 * bitrate) / rate) + padding) * 4
      : Math.floor(((layer === 3 && !v1 ? 72 : 144) * bitrate) / rate) + padding;
  return { kind: ((b1 & 0x1e) << 2) | rateIndex, length };
}

/** Where the audio ends: the file's size less the tags appended after the last frame. */
async function audioEnd(handle: FileHandle, size: number): Promise<number> {
  let end = size;
  const read = async (at: number, length: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(length);
    if (at >= 0) await handle.read(buffer, 0, length, at);
    return buffer;
  };
  if ((await read(end - 128, 3)).toString('latin1') === 'TAG') end -= 128;
  const lyrics = await read(end - 15, 15);
  if (lyrics.toString('latin1', 6) === 'LYRICS200') end -= Number(lyrics.toString('latin1', 0, 6)) + 15;
  const ape = await read(end - 32, 32);
  if (ape.toString('latin1', 0, 8) === 'APETAGEX')
    end -= ape.readUInt32LE(12) + ((ape.readUInt32LE(20) & 0x80000000) !== 0 ? 32 : 0);
  return end;
}

/**
 * Whether the MPEG audio file ends on a whole frame: a frame header whose length reaches the end of its
 * audio exactly, right after another frame of the same stream (two, so that bytes inside a frame that look
 * like a header do not count).
 */
export async function endsOnWholeMpegFrame(handle: FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  const end = await audioEnd(handle, size);
  const start = Math.max(0, end - TAIL_BYTES);
  if (end - start < 8) return false;
  const tail = Buffer.alloc(end - start);
  await handle.read(tail, 0, tail.length, start);
  const ending = new Map<number, number>();
  for (let at = 0; at + 4 <= tail.length; at++) {
    const frame = frameAt(tail, at);
    if (frame === undefined) continue;
    // A frame ending where this one begins, of the same stream, then this one ending at the end.
    if (at + frame.length === tail.length && ending.get(at) === frame.kind) return true;
    ending.set(at + frame.length, frame.kind);
  }
  return false;
}
