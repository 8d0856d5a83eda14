import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ImkError } from '@imk/errors';
import { writeFully } from '@imk/fs-safe';
import { boxBody, childBoxes, corrupt } from './boxes.ts';
import type { Box } from './boxes.ts';
import { editMoov } from './moov-edit.ts';
import '../errors.ts';

const MOVE_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Puts a box of `type` with `payload` into moov/udta of an MP4 file, in place (replacing one of that type).
 * Whatever follows moov moves by the growth, and every chunk offset (stco/co64) pointing past moov moves
 * with it, so the file stays playable whether moov sits before or after mdat.
 */
export async function putUdtaBox(file: string, type: string, payload: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    const moovBox = await findTopLevel(handle, size, 'moov', file);
    const moov = Buffer.alloc(moovBox.size);
    await readExactly(handle, moov, moovBox.offset);
    const moovEnd = moovBox.offset + moovBox.size;
    // The new size is known before the offsets are patched: patching never changes a box's size.
    const probe = editMoov(moov, { type, payload, shiftFrom: moovEnd, shift: 0 }, file);
    const delta = probe.length - moov.length;
    const newMoov =
      delta === 0 ? probe : editMoov(moov, { type, payload, shiftFrom: moovEnd, shift: delta }, file);
    await moveRange(handle, moovEnd, size - moovEnd, delta);
    await writeFully(handle, newMoov, moovBox.offset);
    if (delta < 0) await handle.truncate(size + delta);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads the payload of moov/udta/<type>, or undefined when the file has none. */
export async function readUdtaBox(file: string, type: string): Promise<Buffer | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const moovBox = await findTopLevel(handle, size, 'moov', file);
    const moov = Buffer.alloc(moovBox.size);
    await readExactly(handle, moov, moovBox.offset);
    const udta = childBoxes(moov, moovBox.headerSize, moov.length, file).find((b) => b.type === 'udta');
    if (udta === undefined) return undefined;
    const box = childBoxes(moov, udta.offset + udta.headerSize, udta.offset + udta.size, file).find(
      (b) => b.type === type,
    );
    return box === undefined ? undefined : Buffer.from(boxBody(moov, box));
  } finally {
    await handle.close();
  }
}

/** The top-level boxes of a file, read header by header (mdat is never loaded). */
export async function topLevelBoxes(handle: FileHandle, size: number, where: string): Promise<Box[]> {
  const boxes: Box[] = [];
  const header = Buffer.alloc(16);
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await handle.read(header, 0, 16, offset);
    if (bytesRead < 8) throw corrupt(where, `truncated box header at byte ${offset}`);
    const raw = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    let headerSize = 8;
    let boxSize = raw;
    if (raw === 1) {
      if (bytesRead < 16) throw corrupt(where, `truncated 64-bit box header at byte ${offset}`);
      boxSize = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (raw === 0) {
      boxSize = size - offset;
    }
    if (boxSize < headerSize || offset + boxSize > size) {
      throw corrupt(
        where,
        `top-level box '${type}' at byte ${offset} has a bad size ${boxSize} (file is ${size} bytes)`,
      );
    }
    boxes.push({ type, offset, size: boxSize, headerSize });
    offset += boxSize;
  }
  return boxes;
}

async function findTopLevel(handle: FileHandle, size: number, type: string, where: string): Promise<Box> {
  const found = (await topLevelBoxes(handle, size, where)).filter((b) => b.type === type);
  if (found.length !== 1 || found[0] === undefined)
    throw corrupt(where, `expected one top-level '${type}' box, found ${found.length}`);
  if (found[0].size > 256 * 1024 * 1024)
    throw new ImkError('MP4_BOX_TOO_LARGE', `${where}: the moov box is larger than 256 MiB`);
  return found[0];
}

/** Moves `length` bytes at `from` by `delta` within the file, chunk by chunk, in the order that never overwrites unread bytes. */
async function moveRange(handle: FileHandle, from: number, length: number, delta: number): Promise<void> {
  if (delta === 0 || length === 0) return;
  const chunk = Buffer.alloc(Math.min(MOVE_CHUNK_BYTES, length));
  const count = Math.ceil(length / chunk.length);
  for (let i = 0; i < count; i++) {
    // Growing: copy from the end backwards; shrinking: from the start forwards.
    const index = delta > 0 ? count - 1 - i : i;
    const start = from + index * chunk.length;
    const n = Math.min(chunk.length, from + length - start);
    const part = chunk.subarray(0, n);
    await readExactly(handle, part, start);
    await writeFully(handle, part, start + delta);
  }
}

async function readExactly(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await handle.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0)
      throw new ImkError('MP4_CORRUPT', `unexpected end of file at byte ${position + got}`);
    got += bytesRead;
  }
}
