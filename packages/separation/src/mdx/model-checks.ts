import { stat } from 'node:fs/promises';
import { ImkError, markSaidAs } from '@imk/errors';
import { describeModelIdentity, type MdxFileIdentity } from './model-hash.ts';
import type { MdxModelParams } from './model-params.ts';
import '../errors.ts';

// What can be wrong with a model file when it is opened and run, as the errors that say so (model-session.ts).

/**
 * ImkError MODEL_CHANGED unless the file at `file`, and each external data file it names, is still the version
 * whose hash `params` holds (its device, inode, size and modification time): a model (or its weights beside
 * it) copied over, or moved in, after its hash was read would be run while the manifest named the old one.
 * Refused, consistently, rather than run: the worker retries the job, and makes a new engine of the new files
 * (their stamp changed), which hashes what it opens.
 */
export async function assertModelUnchanged(file: string, params: MdxModelParams): Promise<void> {
  const was = params.identity;
  if (was === undefined) return;
  const files = [{ path: file, identity: was as MdxFileIdentity | undefined, what: 'model' }];
  for (const data of was.data) files.push({ ...data, what: `model ${file}'s external data file` });
  for (const { path, identity, what } of files) {
    const now = await identityOf(path);
    if (sameFile(now, identity)) continue;
    const said = (id: MdxFileIdentity | undefined) =>
      id === undefined ? 'absent' : describeModelIdentity(id);
    throw new ImkError(
      'MODEL_CHANGED',
      `MDX ${what} ${path} changed after ${path === file ? 'its' : "the model's"} hash ${params.hash}${params.dataHash === undefined ? '' : ` (its data ${params.dataHash})`} was read (then ${said(identity)}; now ${now === undefined ? 'gone' : said(now)}): it is not run as the model of that hash; the job is tried again with the files as they are then (wait for a copy to finish, or copy the model beside and rename it into place)`,
      { details: { file, ...(path !== file && { data: path }), hash: params.hash } },
    );
  }
}

async function identityOf(path: string): Promise<MdxFileIdentity | undefined> {
  try {
    const s = await stat(path);
    return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameFile(a: MdxFileIdentity | undefined, b: MdxFileIdentity | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * ONNX Runtime's failure to run the model on a chunk, as an error naming the model and what it was given. A
 * model that fails on a tensor of the declared shape fails on every chunk of every song (typically a model
 * with symbolic dimensions and a .json whose dim_f / dim_t are not the ones it was trained with): not retried.
 * Running out of memory is another matter, and may pass: ENGINE_FAILED, retried.
 */
export function runFailure(
  file: string,
  params: MdxModelParams,
  dims: number[],
  provider: string,
  error: unknown,
): ImkError {
  const reason = firstLine(error);
  if (/alloc|out of memory/i.test(reason))
    return new ImkError(
      'ENGINE_FAILED',
      `ONNX Runtime ran out of memory running MDX model ${file} on ${provider}: ${reason}`,
      { cause: error, details: { file, provider } },
    );
  return new ImkError(
    'MODEL_INVALID',
    `ONNX Runtime could not run MDX model ${file} on an input of [${dims.join(', ')}] (dim_f ${params.dimF}, dim_t ${params.dimT}, from ${params.dataFile ?? 'UVR model data'}): ${reason}; check mdx_dim_f_set / mdx_dim_t_set against UVR's model data for this model, or copy the .onnx file again`,
    { cause: error, details: { file, hash: params.hash, provider } },
  );
}

/**
 * The first line of ONNX Runtime's error (its messages run on over several lines: a source path, a stack),
 * noted as what a message quoting it says of it (markSaidAs): errorMessage, which adds a cause's message
 * unless the message has it, added the whole multi-line text after the first line already quoted, and
 * `imk doctor` and a job's error file showed it twice.
 */
export function firstLine(error: unknown): string {
  const line = ((error as Error).message || String(error)).split('\n')[0] ?? '';
  markSaidAs(error, line);
  return line;
}

/**
 * ImkError MODEL_SHAPE_MISMATCH unless the model's input `name` of `shape` is the [batch, 4, dim_f, dim_t] that
 * `params` say, with a batch of 1 or free.
 */
export function checkShape(
  file: string,
  params: MdxModelParams,
  name: string | undefined,
  shape: ReadonlyArray<number | string>,
): void {
  const expected = [4, params.dimF, params.dimT];
  const given = shape.slice(1);
  const fits =
    name !== undefined &&
    shape.length === 4 &&
    given.every((d, i) => typeof d !== 'number' || d === expected[i] || d < 0);
  // Not 4-D, or not 4 spectrogram channels: not an MDX-Net model at all, whatever its .json says.
  if (name !== undefined && (shape.length !== 4 || (typeof shape[1] === 'number' && shape[1] !== 4)))
    throw new ImkError(
      'MODEL_SHAPE_MISMATCH',
      `MDX model ${file} takes input ${name} of shape [${shape.join(', ')}]; an MDX-Net model takes [batch, 4, dim_f, dim_t] (left and right spectrograms, real and imaginary), so this is a model of another kind (UVR's VR, Demucs or MDX23C models are not MDX-Net .onnx models) and the mdx engine cannot run it`,
      { details: { file, hash: params.hash, shape: [...shape] } },
    );
  // UVR gives the model one chunk at a time ([1, 4, dim_f, dim_t]); a model exported for a fixed batch of more
  // failed on the first chunk, after the song was decoded, as MODEL_INVALID blaming mdx_dim_f_set / mdx_dim_t_set.
  const batch = shape[0];
  if (name !== undefined && typeof batch === 'number' && batch > 1)
    throw new ImkError(
      'MODEL_SHAPE_MISMATCH',
      `MDX model ${file} takes input ${name} of shape [${shape.join(', ')}]: batches of exactly ${batch} chunks; UVR runs an MDX-Net model on one chunk at a time, so its first dimension must be 1 or free (a named batch dimension); nothing in ${params.dataFile ?? "the model's .json"} can change that: use the model as UVR has it`,
      { details: { file, hash: params.hash, shape: [...shape] } },
    );
  if (!fits)
    throw new ImkError(
      'MODEL_SHAPE_MISMATCH',
      `MDX model ${file} takes input ${name ?? '(none)'} of shape [${shape.join(', ')}], but its parameters (${params.dataFile === null ? 'UVR model data' : `from ${params.dataFile}`}, hash ${params.hash}) say [batch, 4, ${params.dimF}, ${params.dimT}] (dim_f ${params.dimF}, dim_t 2^${Math.log2(params.dimT)}); fix mdx_dim_f_set / mdx_dim_t_set in ${params.dataFile ?? "the model's .json"}`,
      { details: { file, hash: params.hash, shape: [...shape] } },
    );
}
