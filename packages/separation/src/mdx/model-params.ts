import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ImkError, isAbsentErrno, isImkError, markSaidAs, oneIssuePerField } from '@imk/errors';
import { NOT_REGULAR_FILE, fileReadProblem, parseUntrustedJson, readRegularFile } from '@imk/fs-safe';
import { z } from 'zod';
import { createChunkSpectrogram } from './chunk-spectrogram.ts';
import { ONNX_MAX_FILE_BYTES } from './external-data.ts';
import { assertNotForeignModel } from './foreign-model.ts';
import { abortable, hashModelFile, type MdxModelIdentity } from './model-hash.ts';
import { KNOWN_MDX_MODELS } from './known-models.ts';
import '../errors.ts';

/** Fixed by the architecture: UVR's `self.hop = 1024`, 44.1 kHz stereo. */
export const MDX_HOP = 1024;

/**
 * A number, or a string that is one (`"1.035"`, `" 8 "`): UVR's own dialog holds these values as text, and an
 * entry copied from a post or typed by hand often quotes them; the meaning is the same (they were refused,
 * "expected number, received string"). A string that is not a number is named with the field.
 */
const numeric = (refine: (n: z.ZodNumber) => z.ZodNumber) =>
  z.preprocess(
    (value) =>
      typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value)
        ? Number(value)
        : value,
    refine(
      z.number({
        error: (issue) =>
          typeof issue.input === 'string'
            ? `must be a number, not ${JSON.stringify(issue.input)}`
            : undefined,
      }),
    ),
  );

/**
 * What is wrong with an mdx_dim_t_set out of range: it is the power of 2 of dim_t, and dim_t itself written
 * there (256, the size the model's input shape shows) is the slip to name.
 */
function dimTSetProblem(value: unknown): string {
  const said = 'must be from 1 to 12: it is the power of 2 of dim_t (dim_t = 2^mdx_dim_t_set)';
  return typeof value === 'number' && Number.isInteger(Math.log2(value)) && value > 12
    ? `${said}; for dim_t ${value} write ${Math.log2(value)}`
    : said;
}

/**
 * One entry of UVR's MDX-Net model data (model_data.json), as UVR writes it; other keys UVR keeps there
 * (is_karaoke, …) are allowed and ignored.
 */
export const MdxModelDataSchema = z.looseObject({
  compensate: numeric((n) => n.positive()),
  mdx_dim_f_set: numeric((n) => n.int().positive()),
  /** dim_t is 2 to this power. */
  mdx_dim_t_set: numeric((n) =>
    n
      .int()
      .min(1, { error: (issue) => dimTSetProblem(issue.input) })
      .max(12, { error: (issue) => dimTSetProblem(issue.input) }),
  ),
  mdx_n_fft_scale_set: numeric((n) => n.int().positive()),
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
  /** 'sidecar': given for this model (its .json, or UVR's model_data/<hash>.json); 'table': a table's entry. */
  source: 'table' | 'sidecar';
  /** The file the parameters were read from; null for this package's own table. */
  dataFile: string | null;
  nFft: number;
  dimF: number;
  dimT: number;
  compensate: number;
  /** UVR's stem name: Vocals, Instrumental, Other, Drums, Bass, Reverb… */
  primaryStem: string;
  /**
   * The version of the file that was hashed; the session refuses to open another (MODEL_CHANGED). Absent for
   * parameters made by hand (a test's), which nothing checks.
   */
  identity?: MdxModelIdentity;
  /**
   * The hash of the model's external data files (hashModelFile), for a model saved as `.onnx` + `.data`:
   * its weights, which the .onnx's hash does not cover.
   */
  dataHash?: string;
}

/** `<dir>/<name>.json` for `<dir>/<name>.onnx`. */
export function modelDataSidecarPath(model: string): string {
  return model.replace(/\.onnx$/i, '') + '.json';
}

/** UVR's folder of model data beside its models: `MDX_Net_Models/model_data/`. */
export const UVR_MODEL_DATA_FOLDER = 'model_data';

/**
 * Where a model's parameter files are looked for: beside the model as named, then, when that is a symbolic link
 * (a model linked into models/ from a UVR install), beside the file it leads to, where UVR keeps them. Those
 * beside the link come first, so a user's own `<model>.json` there wins.
 */
export async function mdxModelDataPlaces(model: string): Promise<string[]> {
  let real: string;
  try {
    real = await realpath(model);
  } catch {
    return [model];
  }
  // Only the file's own name counts: a folder on the way that is a link (models/ on a NAS) moves both alike.
  let named: string;
  try {
    named = join(await realpath(dirname(model)), basename(model));
  } catch {
    named = model;
  }
  return real === named ? [model] : [model, real];
}

/**
 * The files besides the model itself that can give its parameters, by path: `<model>.json`, and UVR's
 * `model_data/` folder beside it (its `<hash>.json` files and its table `model_data.json`), beside the model
 * and beside the file it links to (mdxModelDataPlaces). For whoever must notice when they change (the worker's
 * engine cache): the folders are listed for the `<hash>.json` files that may be added to them.
 */
export async function mdxModelDataFiles(model: string): Promise<string[]> {
  return (await mdxModelDataPlaces(model)).flatMap((place) => {
    const folder = join(dirname(place), UVR_MODEL_DATA_FOLDER);
    return [modelDataSidecarPath(place), folder, join(folder, 'model_data.json')];
  });
}

/**
 * The parameters of the model at `file`, from the first of these that has them (UVR's own order for the last
 * three: its `<hash>.json`, then its table):
 * 1. `<model>.json` beside it: UVR's entry for the model, as such (`{"compensate": …}`) or under its hash
 *    (`{"<hash>": {"compensate": …}}`, so a copy of UVR's whole model_data.json serves too);
 * 2. `model_data/<hash>.json` beside it, where UVR keeps the parameters a user gave for a model it did not know;
 * 3. the table of known models;
 * 4. `model_data/model_data.json` beside it, UVR's own table (newer models than ours), when UVR's
 *    MDX_Net_Models folder is copied or linked as it is.
 * When `file` is a symbolic link, "beside it" is beside the link, then beside the file it leads to (1 and 2
 * there come before 3; 4 beside the link before 4 beside the file).
 * ImkError MODEL_MISSING when the file is absent, MODEL_INVALID when it is empty, MODEL_UNKNOWN (naming the
 * hash and the keys to give) when none knows it, MODEL_DATA_INVALID when a file that should say is malformed.
 */
export async function resolveMdxModelParams(file: string, signal?: AbortSignal): Promise<MdxModelParams> {
  return abortable(resolveParams(file, signal), signal, file);
}

async function resolveParams(file: string, signal: AbortSignal | undefined): Promise<MdxModelParams> {
  let hashed: Awaited<ReturnType<typeof hashModelFile>>;
  try {
    hashed = await hashModelFile(file, signal);
  } catch (cause) {
    if (isImkError(cause)) throw cause;
    const problem = (await brokenLinkProblem(file, cause)) ?? readProblem(cause);
    throw new ImkError('MODEL_MISSING', `MDX model ${file} cannot be read: ${problem}`, {
      cause,
      details: { file },
    });
  }
  const { hash, dataHash, identity } = hashed;
  if (identity.size === 0)
    throw new ImkError(
      'MODEL_INVALID',
      `MDX model ${file} is empty (0 bytes): an interrupted copy or download; copy the .onnx file again`,
      { details: { file, hash } },
    );
  // ONNX Runtime would take it for a corrupt file ("protobuf parsing failed"), after reading all of it.
  if (identity.size > ONNX_MAX_FILE_BYTES)
    throw new ImkError(
      'MODEL_UNSUPPORTED',
      `MDX model ${file} is ${(identity.size / 2 ** 30).toFixed(1)} GiB in one file: an ONNX file cannot be over 2 GiB (protobuf's limit; ONNX Runtime cannot read it); a model that large keeps its weights in an external data file beside the .onnx (in Python, onnx.save_model(model, "${basename(file)}", save_as_external_data=True) writes both), which imk runs as it is: convert it so, and keep both files together`,
      { details: { file, hash } },
    );
  // A PyTorch file (UVR's MDX23C, Roformer, VR models) was "not a known model: write its .json".
  assertNotForeignModel(file, hashed.head, hash);
  const known = KNOWN_MDX_MODELS.get(hash);
  const name = known?.name ?? null;
  const places = await mdxModelDataPlaces(file);
  const params = (...args: Parameters<typeof toParams>) => ({
    ...toParams(...args),
    ...(dataHash !== undefined && { dataHash }),
    identity,
  });
  for (const place of places) {
    const sidecar = modelDataSidecarPath(place);
    const own = await readModelData(sidecar, hash, 'either');
    if (own !== undefined) return params(hash, name, 'sidecar', own, sidecar);
    const given = join(dirname(place), UVR_MODEL_DATA_FOLDER, `${hash}.json`);
    const uvrGiven = await readModelData(given, hash, 'entry');
    if (uvrGiven !== undefined) return params(hash, name, 'sidecar', uvrGiven, given);
  }
  if (known !== undefined) return params(hash, known.name, 'table', known.data, null);
  for (const place of places) {
    const uvrTable = join(dirname(place), UVR_MODEL_DATA_FOLDER, 'model_data.json');
    const uvrKnown = await readModelData(uvrTable, hash, 'table');
    if (uvrKnown !== undefined) return params(hash, name, 'table', uvrKnown, uvrTable);
  }
  const sidecar = modelDataSidecarPath(file);
  const linked =
    places.length > 1 ? ` (nor beside the file it links to, ${modelDataSidecarPath(places[1]!)})` : '';
  throw new ImkError(
    'MODEL_UNKNOWN',
    `MDX model ${file} (UVR hash ${hash}) is not a known model and has no ${sidecar}${linked}: write that file with UVR's model-data entry for it, the keys ${MDX_MODEL_DATA_KEYS.join(', ')}, e.g. {"compensate": 1.035, "mdx_dim_f_set": 3072, "mdx_dim_t_set": 8, "mdx_n_fft_scale_set": 6144, "primary_stem": "Vocals"} (if it is one of UVR's own models, the file may be incomplete: copy it again)`,
    { details: { file, hash } },
  );
}

/**
 * UVR's model-data entry for `hash` in the JSON file at `path`, or undefined when there is no such file (or,
 * for UVR's table, no entry for the hash). `form`: 'entry' (the entry itself), 'table' (entries by hash),
 * 'either'. A file that is there but says nothing usable is MODEL_DATA_INVALID, naming it and the keys.
 */
async function readModelData(
  path: string,
  hash: string,
  form: 'entry' | 'table' | 'either',
): Promise<MdxModelData | undefined> {
  const text = await readSidecar(path);
  if (text === undefined) return undefined;
  // Read as every JSON document a user writes is (a byte order mark, as Windows editors save one, skipped;
  // nesting bounded), under this package's code, so a bad file is refused as the model's data.
  let json: unknown;
  try {
    json = parseUntrustedJson(text, { name: path });
  } catch (cause) {
    throw new ImkError(
      'MODEL_DATA_INVALID',
      `${(cause as Error).message}; write it as UVR's model-data entry, the keys ${MDX_MODEL_DATA_KEYS.join(', ')}`,
      { cause, details: { file: path } },
    );
  }
  const object =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  // UVR looks an entry up by `hash in key`: the keys of its table are the hashes.
  const keyed =
    form !== 'entry' && object !== undefined && !('compensate' in object)
      ? Object.entries(object).find(([key]) => key.includes(hash))
      : undefined;
  if (form === 'table' && keyed === undefined) return undefined;
  const entry: unknown = keyed === undefined ? json : keyed[1];
  const where = keyed === undefined ? path : `${path}, entry "${keyed[0]}"`;
  const parsed = MdxModelDataSchema.safeParse(entry);
  if (!parsed.success) {
    const problems = oneIssuePerField(parsed.error.issues, MdxModelDataSchema).map(
      (i) => `${i.path.join('.') || '(top)'}: ${i.message}`,
    );
    const hint =
      form === 'either' &&
      object !== undefined &&
      keyed === undefined &&
      Object.keys(object).length > 0 &&
      Object.keys(object).every((k) => /^[0-9a-f]{32}$/.test(k))
        ? ` (it holds entries for other models' hashes, but none for this model's, ${hash})`
        : '';
    throw new ImkError(
      'MODEL_DATA_INVALID',
      `${where} is not a UVR model-data entry${hint} (${problems.join('; ')}); it needs the keys ${MDX_MODEL_DATA_KEYS.join(', ')}`,
      { details: { file: path } },
    );
  }
  return parsed.data;
}

function toParams(
  hash: string,
  name: string | null,
  source: MdxModelParams['source'],
  data: MdxModelData,
  dataFile: string | null,
): MdxModelParams {
  return {
    hash,
    name,
    source,
    dataFile,
    nFft: data.mdx_n_fft_scale_set,
    dimF: data.mdx_dim_f_set,
    dimT: 2 ** data.mdx_dim_t_set,
    compensate: data.compensate,
    primaryStem: data.primary_stem,
  };
}

async function readSidecar(path: string): Promise<string | undefined> {
  try {
    return await readRegularFile(path);
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw new ImkError('MODEL_DATA_INVALID', `${path} cannot be read: ${readProblem(error)}`, {
      cause: error,
    });
  }
}

/**
 * For a model not there (`error` ENOENT) that is a symbolic link: "it is a symbolic link to <target>, which is not
 * there", as for a model linked from a drive or share not mounted. It was "it does not exist", of a name `ls`
 * and `imk models` list.
 */
async function brokenLinkProblem(file: string, error: unknown): Promise<string | undefined> {
  if (!isAbsentErrno(error)) return undefined;
  let target: string;
  try {
    if (!(await lstat(file)).isSymbolicLink()) return undefined;
    target = await readlink(file);
  } catch {
    return undefined;
  }
  const problem = `it is a symbolic link to ${target}, which is not there (a drive or share not mounted?): mount it, or copy the model in its place`;
  markSaidAs(error, problem);
  return problem;
}

/** Why a model file or its .json could not be read: "it does not exist", "it is a folder, …", "EACCES". */
function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (isAbsentErrno(error)) {
    markSaidAs(error, 'it does not exist');
    return 'it does not exist';
  }
  const problem = fileReadProblem(error);
  return code === NOT_REGULAR_FILE ? `it is ${problem}` : problem;
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
 * do not fit together (MODEL_DATA_INVALID: dim_f above n_fft/2 + 1, an n_fft the FFT cannot do or not more than
 * the hop, a chunk of 1024 × (dim_t − 1) samples not longer than n_fft, which leaves UVR's chunking no step). The
 * one check behind the engine, `imk models` and `imk doctor`, so what they pass is what a job can run.
 */
export function assertMdxModelUsable(file: string, params: MdxModelParams): void {
  const stem = params.primaryStem.toLowerCase();
  if (!MDX_TWO_STEM_PRIMARIES.some((s) => s.toLowerCase() === stem))
    throw new ImkError(
      'MODEL_UNSUPPORTED',
      `MDX model ${file} (hash ${params.hash}) separates "${params.primaryStem}"; the mdx engine needs a vocals or instrumental model (primary_stem ${MDX_TWO_STEM_PRIMARIES.join(' or ')})`,
      { details: { file, hash: params.hash, primary_stem: params.primaryStem } },
    );
  const where = params.dataFile ?? `UVR's model data for ${file}`;
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
