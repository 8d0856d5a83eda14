import { ImkError } from '@imk/errors';
import { boxBody, childBoxes, corrupt, makeBox } from './boxes.ts';
import '../errors.ts';

/** Containers on the way from moov to the chunk offset tables (stco/co64). */
const TABLE_PATH = new Set(['trak', 'mdia', 'minf', 'stbl']);

export interface MoovEdit {
  /** Type of the box put into moov/udta, e.g. `stem`. */
  type: string;
  payload: Buffer;
  /** Chunk offsets at or past this file offset move by `shift` (the moov grew before them). */
  shiftFrom: number;
  shift: number;
}

/**
 * Returns a new moov box (whole box, header included) with a `type` box in moov/udta (replacing one of that
 * type; udta is created when missing) and every chunk offset at or past `shiftFrom` moved by `shift`.
 */
export function editMoov(moov: Buffer, edit: MoovEdit, where: string): Buffer {
  const top = childBoxes(moov, 0, moov.length, where);
  if (top.length !== 1 || top[0]?.type !== 'moov') throw corrupt(where, 'expected one moov box');
  const children = childBoxes(moov, top[0].offset + top[0].headerSize, moov.length, where);
  const parts: Buffer[] = [];
  let sawUdta = false;
  for (const child of children) {
    const bytes = moov.subarray(child.offset, child.offset + child.size);
    if (child.type === 'udta') {
      sawUdta = true;
      const kept = childBoxes(moov, child.offset + child.headerSize, child.offset + child.size, where)
        .filter((b) => b.type !== edit.type)
        .map((b) => moov.subarray(b.offset, b.offset + b.size));
      parts.push(makeBox('udta', ...kept, makeBox(edit.type, edit.payload)));
    } else if (child.type === 'trak' && edit.shift !== 0) {
      const copy = Buffer.from(bytes);
      shiftChunkOffsets(copy, 0, copy.length, edit, where);
      parts.push(copy);
    } else {
      parts.push(bytes);
    }
  }
  if (!sawUdta) parts.push(makeBox('udta', makeBox(edit.type, edit.payload)));
  return makeBox('moov', ...parts);
}

/** Moves, in place, the entries of every stco/co64 table inside [start, end) of `buf`. */
function shiftChunkOffsets(buf: Buffer, start: number, end: number, edit: MoovEdit, where: string): void {
  for (const box of childBoxes(buf, start, end, where)) {
    if (TABLE_PATH.has(box.type)) {
      shiftChunkOffsets(buf, box.offset + box.headerSize, box.offset + box.size, edit, where);
    } else if (box.type === 'stco' || box.type === 'co64') {
      const body = boxBody(buf, box);
      const count = body.readUInt32BE(4);
      const wide = box.type === 'co64';
      if (8 + count * (wide ? 8 : 4) > body.length) throw corrupt(where, `${box.type} table is truncated`);
      for (let i = 0; i < count; i++) {
        const at = 8 + i * (wide ? 8 : 4);
        if (wide) {
          const value = body.readBigUInt64BE(at);
          if (value >= BigInt(edit.shiftFrom)) body.writeBigUInt64BE(value + BigInt(edit.shift), at);
        } else {
          const value = body.readUInt32BE(at);
          if (value < edit.shiftFrom) continue;
          if (value + edit.shift > 0xffffffff) {
            throw new ImkError(
              'MP4_BOX_TOO_LARGE',
              `${where}: a 32-bit chunk offset would overflow; write the file with moov after mdat`,
            );
          }
          body.writeUInt32BE(value + edit.shift, at);
        }
      }
    }
  }
}
