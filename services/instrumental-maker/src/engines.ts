import { stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImkError } from '@imk/errors';
import {
  createEngine,
  mdxExternalDataFiles,
  mdxModelDataFiles,
  configuredModelsPath,
  modelNameInFolder,
  resolveModelInFolder,
  type SeparationEngine,
} from '@imk/separation';
import type { InstrumentalMakerConfig } from './config.ts';
import { canonicalJson } from './stem-cache.ts';
import './errors.ts';

/** What a custom engine module (config `engine.module`) exports. */
export interface EngineModule {
  createEngine(params: Record<string, unknown>): SeparationEngine | Promise<SeparationEngine>;
}

/**
 * Engines by name and parameters, made once and reused across jobs. An engine that reads a model file
 * (mdx) is made again when that file or its `<model>.json` (or UVR's model_data/ beside it) changes (size, mtime or inode): the model's hash
 * is taken when the engine is made and is part of the stem-cache key, so a model replaced in place while the
 * worker runs must not keep the old hash (the old model's cached stems would be reused). The configured `engine.module`, when
 * set, provides the engine named `engine.name` (a model runner of one's own, or a test's counting engine);
 * every other name goes to the separation package's registry (builtin, demucs).
 */
export function createEngineProvider(root: string, config: InstrumentalMakerConfig) {
  const made = new Map<string, { engine: Promise<SeparationEngine>; files: string }>();

  async function fromModule(params: Record<string, unknown>): Promise<SeparationEngine> {
    const file = config.engine.module!;
    const path = isAbsolute(file) ? file : resolve(root, file);
    let mod: Partial<EngineModule>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Partial<EngineModule>;
    } catch (error) {
      throw new ImkError(
        'ENGINE_MODULE_INVALID',
        `cannot load the engine module ${path} (engine.module in config/instrumental-maker.yaml): ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (typeof mod.createEngine !== 'function')
      throw new ImkError(
        'ENGINE_MODULE_INVALID',
        `the engine module ${path} does not export createEngine(params)`,
      );
    return mod.createEngine(params);
  }

  async function make(spec: { name: string; params: Record<string, unknown> }): Promise<SeparationEngine> {
    const key = canonicalJson(spec);
    const custom = config.engine.module !== undefined && spec.name === config.engine.name;
    const params = custom ? spec.params : await withRootPaths(root, spec);
    const files = custom ? '' : await modelFilesStamp(spec.name, params);
    const cached = made.get(key);
    if (cached !== undefined && cached.files === files) return cached.engine;
    // The engine of the old model lets go of its ONNX Runtime session (a job still running on it keeps it
    // until it ends): each replacement of the model left one more session's native memory behind.
    if (cached !== undefined) void closeEngine(cached.engine);
    const engine = custom
      ? fromModule(params)
      : Promise.resolve().then(() => createEngine(spec.name, params));
    const entry = { engine, files };
    made.set(key, entry);
    // A failed creation is not remembered: a fixed install works on the next job.
    engine.catch(() => {
      if (made.get(key) === entry) made.delete(key);
    });
    return engine;
  }

  return {
    /**
     * The engine for `spec`. With `signal` (the job's), the job stops waiting for it when cancelled: making an
     * mdx engine reads its model, which on a share that stops answering never ends; the engine is still made
     * for the next job once the share answers.
     */
    async get(
      spec: { name: string; params: Record<string, unknown> },
      signal?: AbortSignal,
    ): Promise<SeparationEngine> {
      const engine = make(spec);
      if (signal === undefined) return engine;
      engine.catch(() => undefined);
      return new Promise<SeparationEngine>((resolve, reject) => {
        const onAbort = () =>
          reject(
            new ImkError(
              'ABORTED',
              `stopped waiting for the separation engine "${spec.name}" (the job was stopped)`,
              {
                cause: signal.reason,
              },
            ),
          );
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        engine.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },
    /** Lets go of every engine made (the worker is stopping). */
    async close(): Promise<void> {
      const engines = [...made.values()];
      made.clear();
      await Promise.all(engines.map((e) => closeEngine(e.engine)));
    },
  };
}

async function closeEngine(engine: Promise<SeparationEngine>): Promise<void> {
  try {
    await (await engine).close?.();
  } catch {
    // An engine that failed to be made, or to close, holds nothing more to let go of.
  }
}
export type EngineProvider = ReturnType<typeof createEngineProvider>;

/**
 * An mdx model named relative to the root (models/<file>.onnx) is found there, whatever the working folder.
 * One named models/… is a model in the models folder, held to what `imk models` lists and `imk doctor`
 * checks there: a symbolic link out of models/ is refused (MODEL_OUTSIDE_FOLDER), whoever named it. The
 * manifest names it by its path in models/ (`UVR/x.onnx`), any other model by its file name: the engine's
 * `modelName` is always set here, so a job's engine_params cannot name the model otherwise.
 */
async function withRootPaths(root: string, spec: { name: string; params: Record<string, unknown> }) {
  const model = spec.params.model;
  if (spec.name !== 'mdx' || typeof model !== 'string') return spec.params;
  const inFolder = isAbsolute(model) ? undefined : configuredModelsPath(model);
  if (inFolder === undefined)
    return { ...spec.params, model: resolve(root, model), modelName: basename(model) };
  const file = await resolveModelInFolder(root, inFolder);
  return { ...spec.params, model: file, modelName: modelNameInFolder(inFolder) };
}

/**
 * Size, mtime and inode of an mdx engine's model file, its external data files (its weights, for a model saved
 * as `.onnx` + `.data`) and the files that may give its parameters ('' for other engines).
 */
async function modelFilesStamp(name: string, params: Record<string, unknown>): Promise<string> {
  const model = params.model;
  if (name !== 'mdx' || typeof model !== 'string') return '';
  const stamp = async (file: string): Promise<string> => {
    try {
      const s = await stat(file, { bigint: true });
      return `${s.size}:${s.mtimeNs}:${s.ino}`;
    } catch {
      return 'absent';
    }
  };
  const data = (await mdxExternalDataFiles(resolve(model))).map(({ path }) => path);
  const files = [resolve(model), ...data, ...(await mdxModelDataFiles(resolve(model)))];
  return (await Promise.all(files.map(stamp))).join('|');
}
