import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ImkPaths } from '@imk/config';
import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage, isImkError } from '@imk/errors';
import {
  checkMdxRuntime,
  inspectMdxModel,
  listMdxModelFiles,
  modelsDir,
  configuredModelsPath,
  describeUnusedProviders,
  type MdxModelReport,
} from '@imk/separation/models';

const MODEL_FIX =
  'give the model a <model>.json beside it with its UVR model-data entry (keys: compensate, mdx_dim_f_set, mdx_dim_t_set, mdx_n_fft_scale_set, primary_stem), or copy the file again from UVR (docs/separation.md)';

/**
 * What to do about a model whose input or output is not what an MDX-Net model takes (MODEL_SHAPE_MISMATCH):
 * MODEL_FIX's "give it a .json" cannot make a model of another kind, a float16 copy or one made for a fixed
 * batch runnable; only numbers in the .json that differ from the model's own dim_f / dim_t are corrected there.
 */
const SHAPE_FIX =
  "use the .onnx as UVR has it (a model of another kind, or a copy converted to float16 or to a fixed batch, cannot be run); only when the problem says the model's dim_f / dim_t differ from its parameters, correct mdx_dim_f_set / mdx_dim_t_set in its .json (docs/separation.md)";

/**
 * What to do about a model file ONNX Runtime cannot open or run (MODEL_INVALID: empty, cut short, damaged, no
 * ONNX model, its external data short): MODEL_FIX's "give it a .json" cannot repair the file.
 */
const INVALID_FIX =
  'copy the .onnx again from UVR (its models/MDX_Net_Models folder, with the data file beside it if it has one): this copy is empty, cut short, damaged or no ONNX model; only when the problem says ONNX Runtime could not run it on an input of its dim_f / dim_t, correct mdx_dim_f_set / mdx_dim_t_set in its .json (docs/separation.md)';

/** What to do about a model the engine cannot use at all (a Reverb, Drums… model; a PyTorch .ckpt or .pth). */
const STEM_FIX =
  'use a UVR MDX-Net .onnx model whose primary stem is Vocals or Instrumental (imk models lists each model with its primary stem)';

/** What to do when ONNX Runtime itself is missing or cannot use the providers asked for. */
const RUNTIME_FIX =
  'install ONNX Runtime again (npm ci, with install scripts on for GPU providers), or use engine.executionProviders: [cpu] or engine.name: builtin';

/** What to do when a provider listed first (a GPU) cannot be used and the next one runs the model. */
const RUNTIME_GPU_FIX =
  "for cuda: install onnxruntime-node's CUDA provider (docs/separation.md, CUDA) and the CUDA 12 runtime; or list only the providers that work here, e.g. executionProviders: [cpu]";

/**
 * What to do about a model that is not there as a file (MODEL_MISSING: nothing there, a folder, a named pipe, a
 * link to a drive not mounted, its external data file missing): MODEL_FIX's "give it a .json" cannot help.
 */
const MISSING_FIX =
  'put the model itself there as a regular file: copy the .onnx from UVR (its models/MDX_Net_Models folder), with the data file beside it if it has one; a model linked from a drive or share needs that mounted';

/** What to do about a model in models/ that is a link out of it. */
const OUTSIDE_FIX =
  'copy the model (or the folder of models) into models/ instead of linking to it from there; models/ itself may be a link';

/** What to do about a model named through a file, as if it were a folder (models/a.onnx/x.onnx). */
const PATH_FIX =
  'name the model by its path in models/ as imk models lists it (models/<subfolder>/<file>.onnx): a part before the file name is a file, not a folder';

/** What to do about one model's problem: about the model file, unless it is ONNX Runtime's or the folder's. */
function fixOf(code: string | undefined): string | undefined {
  switch (code) {
    case undefined:
      return undefined;
    case 'ENGINE_UNAVAILABLE':
      return RUNTIME_FIX;
    case 'MODEL_UNSUPPORTED':
      return STEM_FIX;
    case 'MODEL_MISSING':
      return MISSING_FIX;
    case 'MODEL_OUTSIDE_FOLDER':
      return OUTSIDE_FIX;
    case 'MODEL_PATH_NOT_FOLDER':
      return PATH_FIX;
    case 'MODEL_SHAPE_MISMATCH':
      return SHAPE_FIX;
    case 'MODEL_INVALID':
      return INVALID_FIX;
    default:
      return MODEL_FIX;
  }
}

/** What to do about these models' problems, each fix once, in a fixed order. */
function fixFor(reports: MdxModelReport[]): string {
  const wanted = new Set(reports.map((r) => fixOf(r.problem?.code)));
  return [RUNTIME_FIX, STEM_FIX, MISSING_FIX, OUTSIDE_FIX, PATH_FIX, SHAPE_FIX, INVALID_FIX, MODEL_FIX]
    .filter((fix) => wanted.has(fix))
    .join('; ');
}

/** A model's name as the report gives it: its path in models/ (models/UVR/x.onnx), else its file name. */
function nameOf(report: MdxModelReport, paths?: ImkPaths): string {
  if (paths === undefined) return basename(report.file);
  return relative(paths.root, report.file).split(sep).join('/');
}

function describe(report: MdxModelReport, paths?: ImkPaths): string {
  const p = report.params;
  const name = nameOf(report, paths);
  return p === null
    ? name
    : `${name} (${p.name ?? 'unnamed'}, ${p.primaryStem}, n_fft ${p.nFft} / dim_f ${p.dimF} / dim_t ${p.dimT})`;
}

/** The configured mdx engine's model: present, known, opened by ONNX Runtime, shape as its parameters say. */
export async function mdxEngineCheck(
  params: Record<string, unknown>,
  paths: ImkPaths,
  fallback = true,
): Promise<CheckResult> {
  // As the worker chooses: without ONNX Runtime the mdx engine is not installed here, and with
  // engine.fallback jobs run on builtin (said in each manifest); nothing else about the model matters then.
  const runtime = await checkMdxRuntime().then(
    () => undefined,
    (error: unknown) => errorMessage(error),
  );
  if (runtime !== undefined)
    return {
      status: fallback ? 'warn' : 'fail',
      summary: fallback
        ? `${runtime}; jobs run on the builtin engine instead (engine.fallback), each with a warning in its manifest`
        : `${runtime}; with engine.fallback: false every job fails`,
      fix: 'install ONNX Runtime again (npm ci), or use engine.name: builtin',
    };
  const model = typeof params.model === 'string' ? params.model : undefined;
  if (model === undefined)
    return {
      status: 'fail',
      summary: 'engine.name is mdx but no model is configured (engine.model)',
      fix: 'set engine.model: models/<file>.onnx in config/instrumental-maker.yaml',
    };
  const file = isAbsolute(model) ? model : resolve(paths.root, model);
  const providers = params.executionProviders;
  const report = await inspectMdxModel(file, {
    open: true,
    tryRun: true,
    // models/… is a model in the models folder, held to its rules as the worker holds it.
    ...(configuredModelsPath(model) === undefined ? {} : { modelsFolder: modelsDir(paths.root) }),
    ...(Array.isArray(providers) && providers.every((p) => typeof p === 'string')
      ? { executionProviders: providers }
      : {}),
  });
  if (report.problem !== null)
    return { status: 'fail', summary: report.problem.message, fix: fixFor([report]) };
  const used = report.executionProviders?.[0] ?? 'cpu';
  if (report.unusedProviders.length > 0)
    return {
      status: 'warn',
      summary: `mdx: ${describe(report)} runs on ${used}; could not use ${describeUnusedProviders(report.unusedProviders)}`,
      fix: RUNTIME_GPU_FIX,
    };
  // A provider with another after it may fail mid-run (a GPU out of memory): the worker then keeps to the
  // next one, for every model, while it runs, which this check (a process of its own) cannot see.
  const listed = Array.isArray(providers) ? providers : [];
  const later = listed.indexOf(used) >= 0 && listed.indexOf(used) < listed.length - 1;
  const aside = later
    ? `; if a job's warning says ${used} failed mid-run, the worker starts every model's jobs on the next provider until it restarts: restart it to try ${used} again`
    : '';
  return { status: 'ok', summary: `mdx: ${describe(report)} on ${used}${aside}` };
}

/** Every model in <root>/models/ (subfolders too) opens and has the input shape its parameters say. */
export const modelsCheck: DoctorCheck = {
  id: 'mdx-models',
  title: 'MDX-Net models',
  group: 'worker',
  required: false,
  async run({ paths }) {
    const dir = modelsDir(paths.root);
    let files: string[];
    try {
      files = await listMdxModelFiles(dir);
    } catch (error) {
      // models/ a file, a link to a share not mounted, a folder that cannot be read: the message says what to do.
      if (isImkError(error)) return { status: 'warn', summary: error.message };
      throw error;
    }
    if (files.length === 0) return { status: 'skip', summary: `no .onnx models in ${dir}` };
    // One model open at a time, as imk models opens them: all at once held every model of the folder in memory
    // together (UVR's whole MDX_Net_Models folder: gigabytes), each loading in a thread of its own.
    const reports: MdxModelReport[] = [];
    for (const f of files) reports.push(await inspectMdxModel(f, { open: true, modelsFolder: dir }));
    const bad = reports.filter((r) => r.problem !== null);
    if (bad.length > 0)
      return {
        status: 'warn',
        summary: bad.map((r) => `${nameOf(r, paths)}: ${r.problem!.message}`).join('; '),
        fix: fixFor(bad),
      };
    return { status: 'ok', summary: reports.map((r) => describe(r, paths)).join('; ') };
  },
};
