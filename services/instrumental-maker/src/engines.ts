import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImkError } from '@imk/errors';
import { createEngine, type SeparationEngine } from '@imk/separation';
import type { InstrumentalMakerConfig } from './config.ts';
import { canonicalJson } from './stem-cache.ts';

/** What a custom engine module (config `engine.module`) exports. */
export interface EngineModule {
  createEngine(params: Record<string, unknown>): SeparationEngine | Promise<SeparationEngine>;
}

/**
 * Engines by name and parameters, made once and reused across jobs. The configured `engine.module`, when
 * set, provides the engine named `engine.name` (a model runner of one's own, or a test's counting engine);
 * every other name goes to the separation package's registry (builtin, demucs).
 */
export function createEngineProvider(root: string, config: InstrumentalMakerConfig) {
  const made = new Map<string, Promise<SeparationEngine>>();

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

  return {
    get(spec: { name: string; params: Record<string, unknown> }): Promise<SeparationEngine> {
      const key = canonicalJson(spec);
      let engine = made.get(key);
      if (engine === undefined) {
        const custom = config.engine.module !== undefined && spec.name === config.engine.name;
        engine = custom
          ? fromModule(spec.params)
          : Promise.resolve().then(() => createEngine(spec.name, withRootPaths(root, spec)));
        made.set(key, engine);
        // A failed creation is not remembered: a fixed install works on the next job.
        engine.catch(() => made.delete(key));
      }
      return engine;
    },
  };
}
export type EngineProvider = ReturnType<typeof createEngineProvider>;

/** An mdx model named relative to the root (models/<file>.onnx) is found there, whatever the working folder. */
function withRootPaths(root: string, spec: { name: string; params: Record<string, unknown> }) {
  const model = spec.params.model;
  if (spec.name !== 'mdx' || typeof model !== 'string' || isAbsolute(model)) return spec.params;
  return { ...spec.params, model: resolve(root, model) };
}
