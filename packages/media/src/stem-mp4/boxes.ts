import { ImkError } from '@imk/errors';
import '../errors.ts';

/** One ISO-BMFF (MP4) box inside a buffer. */
export interface Box {
  type: string;
  /** Offset of the box header in the buffer (or file). */
  offset: number;
  /** Whole box size, header included. */
  size: number;
  headerSize: number;
}

/** Parses the header at `offset`; `end` bounds a box whose size is 0 ("to the end"). */
export function parseBoxHeader(buf: Buffer, offset: number, end: number, where: string): Box {
  if (offset + 8 > end) throw corrupt(where, `truncated box header at byte ${offset}`);
  let size = buf.readUInt32BE(offset);
  const type = buf.toString('latin1', offset + 4, offset + 8);
  let headerSize = 8;
  if (size === 1) {
    if (offset + 16 > end) throw corrupt(where, `truncated 64-bit box header at byte ${offset}`);
    size = Number(buf.readBigUInt64BE(offset + 8));
    headerSize = 16;
  } else if (size === 0) {
    size = end - offset;
  }
  if (size < headerSize || offset + size > end)
    throw corrupt(where, `box '${type}' at byte ${offset} has a bad size ${size}`);
  return { type, offset, size, headerSize };
}

/** The child boxes of the range [start, end) of `buf`. */
export function childBoxes(buf: Buffer, start: number, end: number, where: string): Box[] {
  const boxes: Box[] = [];
  let offset = start;
  while (offset < end) {
    const box = parseBoxHeader(buf, offset, end, where);
    boxes.push(box);
    offset += box.size;
  }
  return boxes;
}

/** A box built from a type and its payload (a 32-bit size header). */
export function makeBox(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  if (body.length + 8 > 0xffffffff)
    throw new ImkError('MP4_BOX_TOO_LARGE', `box '${type}' would exceed 4 GiB`);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(body.length + 8, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

/** The payload of a box (after its header). */
export function boxBody(buf: Buffer, box: Box): Buffer {
  return buf.subarray(box.offset + box.headerSize, box.offset + box.size);
}

export function corrupt(where: string, why: string): ImkError {
  return new ImkError('MP4_CORRUPT', `cannot edit the MP4 boxes of ${where}: ${why}`, {
    details: { file: where },
  });
}
