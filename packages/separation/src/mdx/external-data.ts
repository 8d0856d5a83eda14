// A model over 2 GB cannot be one ONNX file (protobuf, which ONNX files are, stops at 2 GB): it is saved as
// the .onnx (its graph) and its weights in an external data file beside it (`model.onnx.data`, named in the
// .onnx by each tensor's `location`). ONNX Runtime reads that file from beside the model's path, as imk opens
// it; what it says when the file is missing or cut short ("External data path does not exist", "out of
// bounds") was reported as a corrupt model. These name the data file and what to do.
import { lstat, open } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ImkError } from '@imk/errors';
import '../errors.ts';

/** The largest ONNX file protobuf (and so ONNX Runtime) reads: 2 GiB less a byte. */
export const ONNX_MAX_FILE_BYTES = 2 ** 31 - 1;
// A .onnx whose weights are kept apart is its graph alone: a few MB. One larger holds its weights itself.
const GRAPH_MAX_BYTES = 64 * 1024 * 1024;

interface ExternalData {
  /** As the model names it, relative to the model's folder. */
  location: string;
  /** The bytes the model reads from it: the largest offset + length of its tensors (0: not said). */
  needs: number;
}

/** `key` and `value` of a StringStringEntryProto (`0x0a len key 0x12 len value`) at `at`, or undefined. */
function entryAt(bytes: Buffer, at: number): { key: string; value: string } | undefined {
  if (bytes[at] !== 0x0a) return undefined;
  const keyLength = bytes[at + 1] ?? 0;
  const valueTag = at + 2 + keyLength;
  if (bytes[valueTag] !== 0x12) return undefined;
  let length = 0;
  let shift = 0;
  let cursor = valueTag + 1;
  for (let byte = 0x80; (byte & 0x80) !== 0 && shift < 28; shift += 7) {
    byte = bytes[cursor++] ?? 0;
    length |= (byte & 0x7f) << shift;
  }
  if (cursor + length > bytes.length) return undefined;
  return {
    key: bytes.toString('latin1', at + 2, valueTag),
    value: bytes.toString('utf8', cursor, cursor + length),
  };
}

/**
 * The external data files the model's tensors name (their `external_data` entries: `location`, then
 * `offset` and `length`), read from the .onnx's bytes; none for a model that holds its weights itself.
 */
export async function externalDataOf(file: string): Promise<ExternalData[]> {
  const handle = await open(file, 'r');
  let bytes: Buffer;
  try {
    const { size } = await handle.stat();
    if (size > GRAPH_MAX_BYTES) return [];
    bytes = Buffer.alloc(size);
    await handle.read(bytes, 0, size, 0);
  } finally {
    await handle.close();
  }
  const found = new Map<string, ExternalData>();
  let current: { data: ExternalData; offset: number } | undefined;
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) {
    const entry = entryAt(bytes, at);
    if (entry === undefined) continue;
    if (entry.key === 'location') {
      const data = found.get(entry.value) ?? { location: entry.value, needs: 0 };
      found.set(entry.value, data);
      current = { data, offset: 0 };
    } else if (current !== undefined && (entry.key === 'offset' || entry.key === 'length')) {
      const n = Number(entry.value);
      if (!Number.isSafeInteger(n)) continue;
      if (entry.key === 'offset') current.offset = n;
      else current.data.needs = Math.max(current.data.needs, current.offset + n);
    }
  }
  return [...found.values()];
}

/**
 * The paths of the external data files the model at `file` names beside it (those it names outside its
 * folder are left out: ONNX Runtime does not read them, and externalDataProblem refuses the model); [] for a
 * model that holds its weights itself, or that cannot be read.
 */
export async function mdxExternalDataFiles(file: string): Promise<{ location: string; path: string }[]> {
  const folder = dirname(file);
  return (await externalDataOf(file).catch(() => []))
    .map(({ location }) => ({ location, path: resolve(folder, location) }))
    .filter(({ location, path }) => !isAbsolute(location) && !relative(folder, path).startsWith('..'));
}

/**
 * Why ONNX Runtime could not open `file` (its error: `cause`) when it is the model's external data (missing,
 * cut short, outside the model's folder), said naming that file and what to do; undefined when the data
 * files are all there (or the model has none).
 */
export async function externalDataProblem(file: string, cause?: unknown): Promise<ImkError | undefined> {
  const folder = dirname(file);
  for (const { location, needs } of await externalDataOf(file).catch(() => [])) {
    const path = resolve(folder, location);
    const within = relative(folder, path);
    const about = `MDX model ${file} keeps its weights in an external data file, ${location} (an ONNX model over 2 GB is saved as the .onnx and its data beside it, and both are needed)`;
    if (isAbsolute(location) || within.startsWith('..'))
      return new ImkError(
        'MODEL_UNSUPPORTED',
        `${about}, named outside the model's folder: ONNX Runtime reads external data only beside the model; put ${location} beside it and save the model again naming it by its file name`,
        { cause, details: { file, data: location } },
      );
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined || !info.isFile())
      return new ImkError(
        'MODEL_MISSING',
        `${about}, and ${path} ${info === undefined ? 'is not there' : 'is not a regular file'}: copy it beside the model, under that name`,
        { cause, details: { file, data: path } },
      );
    if (info.size < needs)
      return new ImkError(
        'MODEL_INVALID',
        `${about}, and ${path} holds ${info.size} bytes of the ${needs} the model reads from it: an interrupted copy or download; copy it again`,
        { cause, details: { file, data: path } },
      );
  }
  return undefined;
}
