// What an MP4's (QuickTime's) index says its sound tracks hold: read from the "moov" box's children
// (trak > mdia > hdlr, and mdia > minf > stbl > stsd), only their headers, never the frames.
import type { FileHandle } from 'node:fs/promises';

// Sample entry formats of uncompressed PCM in MP4 and QuickTime files: their silence is zeros.
const PCM_FORMATS = new Set([
  'lpcm',
  'sowt',
  'twos',
  'ipcm',
  'fpcm',
  'in24',
  'in32',
  'fl32',
  'fl64',
  'raw ',
  'NONE',
]);
// Boxes walked inside one container before it is taken for no index at all.
const MAX_CHILDREN = 10_000;

interface Box {
  type: string;
  /** Where its contents start and end, in the file. */
  start: number;
  end: number;
}

/** The boxes inside `start`..`end` of the file (one container's contents). */
async function children(handle: FileHandle, start: number, end: number): Promise<Box[]> {
  const boxes: Box[] = [];
  const header = Buffer.alloc(16);
  for (let at = start; at + 8 <= end && boxes.length < MAX_CHILDREN;) {
    header.fill(0);
    await handle.read(header, 0, 16, at);
    const stated = header.readUInt32BE(0);
    const wide = stated === 1;
    const length = wide ? Number(header.readBigUInt64BE(8)) : stated === 0 ? end - at : stated;
    if (length < (wide ? 16 : 8) || at + length > end) break;
    boxes.push({ type: header.toString('latin1', 4, 8), start: at + (wide ? 16 : 8), end: at + length });
    at += length;
  }
  return boxes;
}

async function bytesAt(handle: FileHandle, at: number, length: number): Promise<string> {
  const buffer = Buffer.alloc(length);
  await handle.read(buffer, 0, length, at);
  return buffer.toString('latin1');
}

/**
 * Whether a sound track of the MP4 whose "moov" box holds `start`..`end` of the file is uncompressed PCM
 * (lpcm, sowt, twos, ipcm, …): a file whose audio may end in zeros of silence, as a WAV's does.
 */
export async function mp4HasPcmSound(handle: FileHandle, start: number, end: number): Promise<boolean> {
  for (const trak of (await children(handle, start, end)).filter((b) => b.type === 'trak')) {
    const mdia = (await children(handle, trak.start, trak.end)).find((b) => b.type === 'mdia');
    if (mdia === undefined) continue;
    const inMdia = await children(handle, mdia.start, mdia.end);
    const hdlr = inMdia.find((b) => b.type === 'hdlr');
    // hdlr: version and flags (4), pre_defined (4), then the handler type.
    if (hdlr === undefined || (await bytesAt(handle, hdlr.start + 8, 4)) !== 'soun') continue;
    const minf = inMdia.find((b) => b.type === 'minf');
    const stbl = minf && (await children(handle, minf.start, minf.end)).find((b) => b.type === 'stbl');
    const stsd = stbl && (await children(handle, stbl.start, stbl.end)).find((b) => b.type === 'stsd');
    // stsd: version and flags (4), entry count (4), then the first entry: its size (4) and format (4).
    if (stsd !== undefined && PCM_FORMATS.has(await bytesAt(handle, stsd.start + 12, 4))) return true;
  }
  return false;
}
