import { createHash } from 'node:crypto';
import { ImkError, isImkError } from '@imk/errors';
import { openRegularFile } from '@imk/fs-safe';
import { mdxExternalDataFiles } from './external-data.ts';
import { MODEL_HEAD_BYTES } from './foreign-model.ts';
import '../errors.ts';

// A model file's hash as UVR reads it (by which its hyper-parameters are found) and the identity of the
// version that was hashed (model-params.ts resolves the parameters from them; model-checks.ts checks the
// identity where ONNX Runtime opens the file).

/** UVR hashes the last 10,000 KiB of a model file (`f.seek(-10000 * 1024, 2)`), or all of a smaller one. */
export const MDX_HASH_TAIL_BYTES = 10_000 * 1024;

/**
 * What identifies one version of a model file: a copy written over it, or a new file moved in its place, changes
 * one of these. Taken with the hash (from the descriptor that was read) and checked again where ONNX Runtime
 * opens the file (ort-thread.ts), so that a session never runs a file other than the one whose hash the
 * manifest records.
 */
export interface MdxModelIdentity extends MdxFileIdentity {
  /**
   * The external data files the model names (its weights, for a model saved as `.onnx` + `.data`), by path,
   * each as it was when hashed (undefined: not there then): ONNX Runtime reads them as it opens the model, so
   * one replaced is another model as much as a replaced .onnx. [] for a model that holds its weights itself.
   */
  data: { path: string; identity: MdxFileIdentity | undefined }[];
}

/** One version of one file: a copy written over it, or a new file moved in its place, changes one of these. */
export interface MdxFileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** "size 123 bytes, modified 2026-…, inode 45": a model file's identity, as messages say it. */
export function describeModelIdentity(id: MdxFileIdentity): string {
  return `size ${id.size} bytes, modified ${new Date(id.mtimeMs).toISOString()}, inode ${id.ino}`;
}

/**
 * UVR's model hash: MD5 (hex) of the file's last 10,240,000 bytes, or of the whole file if smaller. Read
 * asynchronously (off the main thread, in libuv's pool): a model on a share that stops answering (a hung NFS or
 * SMB mount) must not freeze the worker's heartbeat and cancel checks; with `signal`, the caller stops waiting
 * when it is aborted (ImkError ABORTED; the read itself ends when the share answers).
 */
export async function mdxModelHash(file: string, signal?: AbortSignal): Promise<string> {
  return (await hashModelFile(file, signal)).hash;
}

/**
 * The model's hash (UVR's, of the .onnx), the hash of its external data files (the same tail MD5 of each, in
 * the order the model names them; undefined for a model that has none) and the identity of all of them. The
 * data files' hash goes with the model's into the manifest and the stem cache key: weights replaced beside an
 * unchanged .onnx are another model.
 */
export async function hashModelFile(
  file: string,
  signal?: AbortSignal,
): Promise<{ hash: string; dataHash: string | undefined; identity: MdxModelIdentity; head: Buffer }> {
  const model = await hashOneFile(file, signal);
  const data: MdxModelIdentity['data'] = [];
  const dataHash = createHash('md5');
  // Those missing or named outside the model's folder are refused as the model is opened (external-data.ts).
  for (const { location, path } of await mdxExternalDataFiles(file)) {
    const hashed = await hashOneFile(path, signal).catch((error: unknown) => {
      if (isImkError(error, 'ABORTED') || isImkError(error, 'MODEL_CHANGED')) throw error;
      return undefined;
    });
    data.push({ path, identity: hashed?.identity });
    dataHash.update(`${location}\0${hashed?.hash ?? 'absent'}\0`);
  }
  return {
    hash: model.hash,
    dataHash: data.length === 0 ? undefined : dataHash.digest('hex'),
    identity: { ...model.identity, data },
    head: model.head,
  };
}

/**
 * UVR's tail MD5 of one file, its identity (ImkError MODEL_CHANGED when written to while read) and its first
 * MODEL_HEAD_BYTES bytes (what kind of file it is: foreign-model.ts).
 */
async function hashOneFile(
  file: string,
  signal: AbortSignal | undefined,
): Promise<{ hash: string; identity: MdxFileIdentity; head: Buffer }> {
  return abortable(
    (async () => {
      // Opened without blocking and checked to be a regular file first: a named pipe given as the model (in
      // config, on the command line, in a job's engine_params) would otherwise be waited on for ever.
      const handle = await openRegularFile(file);
      try {
        const before = await handle.stat();
        const size = before.size;
        const length = Math.min(size, MDX_HASH_TAIL_BYTES);
        const buffer = Buffer.alloc(length);
        let read = 0;
        while (read < length) {
          signal?.throwIfAborted();
          const { bytesRead } = await handle.read(buffer, read, length - read, size - length + read);
          if (bytesRead === 0) break;
          read += bytesRead;
        }
        const hash = createHash('md5').update(buffer.subarray(0, read)).digest('hex');
        const head = Buffer.alloc(Math.min(size, MODEL_HEAD_BYTES));
        const { bytesRead: headRead } = await handle.read(head, 0, head.length, 0);
        // Written to while it was read (a copy in progress): the hash is of no one version of it.
        const after = await handle.stat();
        const identity = { dev: after.dev, ino: after.ino, size: after.size, mtimeMs: after.mtimeMs };
        if (after.size !== before.size || after.mtimeMs !== before.mtimeMs)
          throw new ImkError(
            'MODEL_CHANGED',
            `MDX model ${file} changed while its hash was read (${describeModelIdentity({ ...identity, size: before.size, mtimeMs: before.mtimeMs })}, then ${describeModelIdentity(identity)}): a copy in progress; the job is tried again once it is whole`,
            { details: { file } },
          );
        return { hash, identity, head: head.subarray(0, headRead) };
      } finally {
        await handle.close();
      }
    })(),
    signal,
    file,
  );
}

/** `work`, or ImkError ABORTED as soon as `signal` is aborted (the work itself goes on and is ignored). */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, file: string): Promise<T> {
  if (signal === undefined) return work;
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new ImkError('ABORTED', `stopped waiting for MDX model ${file} (its share may not be answering)`, {
          cause: signal.reason,
          details: { file },
        }),
      );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
