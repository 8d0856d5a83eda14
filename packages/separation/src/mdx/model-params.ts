import { createHash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import { ImkError } from '@imk/errors';
import { fileReadProblem, openRegularFileSync, readRegularFileSync } from '@imk/fs-safe';
import { z } from 'zod';
import { createChunkSpectrogram } from './chunk-spectrogram.ts';
import { KNOWN_MDX_MODELS } from './known-models.ts';

/** UVR hashes the last 10,000 KiB of a model file (`f.seek(-10000 * 1024, 2)`), or all of a smaller one. */
export const MDX_HASH_TAIL_BYTES = 10_000 * 1024;
/** Fixed by the architecture: UVR's `self.hop = 1024`, 44.1 kHz stereo. */
export const MDX_HOP = 1024;

/**
 * One entry of UVR's MDX-Net model data (model_data.json), as UVR writes it; other keys UVR keeps there
 * (is_karaoke, …) are allowed and ignored.
 */
export const MdxModelDataSchema = z.looseObject({
  compensate: z.number().positive(),
  mdx_dim_f_set: z.number().int().positive(),
  /** dim_t is 2 to this power. */
  mdx_dim_t_set: z.number().int().min(1).max(12),
  mdx_n_fft_scale_set: z.number().int().positive(),
  primary_stem: z.string().min(1),
});
export type MdxModelData = z.infer<typeof MdxModelDataSchema>;

/** The keys a `<model>.json` beside a model must give. */
export const MDX_MODEL_DATA_KEYS = [
  'compensate',
  'mdx_dim_f_set',
  'mdx_dim_t_set',
  'mdx_n_fft_scale_set',
  'primary_stem',
] as const;

/** A model's parameters, resolved: where they came from and the numbers the demixer uses. */
export interface MdxModelParams {
  hash: string;
  /** The usual file name of a known model, or null. */
  name: string | null;
  source: 'table' | 'sidecar';
  nFft: number;
  dimF: number;
  dimT: number;
  compensate: number;
  /** UVR's stem name: Vocals, Instrumental, Other, Drums, Bass, Reverb… */
  primaryStem: string;
}

/**
 * UVR's model hash: MD5 (hex) of the file's last 10,240,000 bytes, or of the whole file if smaller. Synchronous:
 * it is read once when an engine is made (about 10 MB), so the hash can be part of the engine's parameters.
 */
export function mdxModelHash(file: string): string {
  // Opened without blocking and checked to be a regular file first: a named pipe given as the model (in
  // config, on the command line, in a job's engine_params) would otherwise block this thread for ever.
  const { fd, size } = openRegularFileSync(file);
  try {
    const length = Math.min(size, MDX_HASH_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    return createHash('md5').update(buffer.subarray(0, read)).digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** `<dir>/<name>.json` for `<dir>/<name>.onnx`. */
export function modelDataSidecarPath(model: string): string {
  return model.replace(/\.onnx$/i, '') + '.json';
}

/**
 * The parameters of the model at `file`: a `<model>.json` beside it wins, then the table of known models.
 * ImkError MODEL_MISSING when the file is absent, MODEL_UNKNOWN (naming the hash and the keys to give)
 * when neither knows it, MODEL_DATA_INVALID when the sidecar is malformed.
 */
export function resolveMdxModelParams(file: string): MdxModelParams {
  let hash: string;
  try {
    hash = mdxModelHash(file);
  } catch (cause) {
    throw new ImkError('MODEL_MISSING', `MDX model ${file} cannot be read: ${readProblem(cause)}`, {
      cause,
      details: { file },
    });
  }
  const sidecar = modelDataSidecarPath(file);
  const known = KNOWN_MDX_MODELS.get(hash);
  const text = readSidecar(sidecar);
  if (text !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new ImkError('MODEL_DATA_INVALID', `${sidecar} is not JSON: ${(cause as Error).message}`, {
        cause,
      });
    }
    const parsed = MdxModelDataSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
      throw new ImkError(
        'MODEL_DATA_INVALID',
        `${sidecar} is not a UVR model-data entry (${problems.join('; ')}); it needs the keys ${MDX_MODEL_DATA_KEYS.join(', ')}`,
      );
    }
    return toParams(hash, known?.name ?? null, 'sidecar', parsed.data);
  }
  if (known !== undefined) return toParams(hash, known.name, 'table', known.data);
  throw new ImkError(
    'MODEL_UNKNOWN',
    `MDX model ${file} (UVR hash ${hash}) is not a known model and has no ${sidecar}: write that file with UVR's model-data entry for it, the keys ${MDX_MODEL_DATA_KEYS.join(', ')}, e.g. {"compensate": 1.035, "mdx_dim_f_set": 3072, "mdx_dim_t_set": 8, "mdx_n_fft_scale_set": 6144, "primary_stem": "Vocals"}`,
    { details: { file, hash } },
  );
}

function toParams(
  hash: string,
  name: string | null,
  source: MdxModelParams['source'],
  data: MdxModelData,
): MdxModelParams {
  return {
    hash,
    name,
    source,
    nFft: data.mdx_n_fft_scale_set,
    dimF: data.mdx_dim_f_set,
    dimT: 2 ** data.mdx_dim_t_set,
    compensate: data.compensate,
    primaryStem: data.primary_stem,
  };
}

function readSidecar(path: string): string | undefined {
  try {
    return readRegularFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImkError('MODEL_DATA_INVALID', `${path} cannot be read: ${readProblem(error)}`, {
      cause: error,
    });
  }
}

/** Why a model file or its .json could not be read: "it does not exist", "it is a folder, …", "EACCES". */
function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'it does not exist';
  const problem = fileReadProblem(error);
  return problem === code ? `${code} (${(error as Error).message})` : `it is ${problem}`;
}

/** UVR stem names the mdx engine can turn into the four stems: the model gives one, the mixture minus it the other. */
export const MDX_TWO_STEM_PRIMARIES = ['Vocals', 'Instrumental'] as const;

/** Whether the model's primary stem is the vocals (else the instrumental); UVR's spelling, any case. */
export function mdxPrimaryIsVocals(params: MdxModelParams): boolean {
  return params.primaryStem.toLowerCase() === 'vocals';
}

/**
 * Throws what stops the mdx engine from running a model with these parameters, naming the file and where the
 * parameters came from: a primary stem other than vocals or instrumental (MODEL_UNSUPPORTED), or numbers that
 * do not fit together (MODEL_DATA_INVALID: dim_f above n_fft/2 + 1, an n_fft the FFT cannot do, a chunk of
 * 1024 × (dim_t − 1) samples not longer than n_fft, which leaves UVR's chunking no step). The one check behind
 * the engine, `imk models` and `imk doctor`, so what they pass is what a job can run.
 */
export function assertMdxModelUsable(file: string, params: MdxModelParams): void {
  const stem = params.primaryStem.toLowerCase();
  if (!MDX_TWO_STEM_PRIMARIES.some((s) => s.toLowerCase() === stem))
    throw new ImkError(
      'MODEL_UNSUPPORTED',
      `MDX model ${file} (hash ${params.hash}) separates "${params.primaryStem}"; the mdx engine needs a vocals or instrumental model (primary_stem ${MDX_TWO_STEM_PRIMARIES.join(' or ')})`,
      { details: { file, hash: params.hash, primary_stem: params.primaryStem } },
    );
  const where = params.source === 'sidecar' ? modelDataSidecarPath(file) : `UVR's model data for ${file}`;
  const given = `mdx_n_fft_scale_set ${params.nFft}, mdx_dim_f_set ${params.dimF}, mdx_dim_t_set ${Math.log2(params.dimT)} (dim_t ${params.dimT})`;
  let problem: string | undefined;
  try {
    createChunkSpectrogram(params.nFft, MDX_HOP, params.dimF, params.dimT);
  } catch (error) {
    problem = (error as Error).message;
  }
  const chunk = MDX_HOP * (params.dimT - 1);
  if (problem === undefined && chunk <= params.nFft)
    problem = `a chunk of ${MDX_HOP} × (dim_t − 1) = ${chunk} samples must be longer than n_fft ${params.nFft}`;
  if (problem !== undefined)
    throw new ImkError(
      'MODEL_DATA_INVALID',
      `${where}: ${given} cannot be run: ${problem}; fix mdx_n_fft_scale_set / mdx_dim_f_set / mdx_dim_t_set (UVR's model data for the model)`,
      { details: { file, hash: params.hash } },
    );
}
