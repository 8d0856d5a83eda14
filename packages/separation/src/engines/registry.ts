import { ImkError } from '@imk/errors';
import type { SeparationEngine } from '../engine.ts';
import { createBuiltinEngine, type BuiltinEngineOptions } from './builtin.ts';
import { createDemucsEngine, type DemucsEngineOptions } from './demucs.ts';
import { createMdxEngine, type MdxEngineOptions } from './mdx.ts';
import { ENGINE_NAMES, isEngineName, type EngineName } from './names.ts';
import '../errors.ts';

export { ENGINE_NAMES, isEngineName, type EngineName };

/** The options each engine's factory takes. */
export interface EngineOptionsByName {
  builtin: BuiltinEngineOptions;
  demucs: DemucsEngineOptions;
  mdx: MdxEngineOptions;
}

/**
 * The engine called `name` (from config or a command line); ImkError('UNKNOWN_ENGINE') for any other name.
 * Asynchronous: the mdx engine reads its model's hash when it is made, off the main thread.
 */
export async function createEngine<N extends EngineName>(
  name: N,
  options?: EngineOptionsByName[N],
): Promise<SeparationEngine>;
export async function createEngine(name: string, options?: unknown): Promise<SeparationEngine>;
export async function createEngine(name: string, options: unknown = {}): Promise<SeparationEngine> {
  if (!isEngineName(name))
    throw new ImkError(
      'UNKNOWN_ENGINE',
      `unknown separation engine "${name}"; choose one of: ${ENGINE_NAMES.join(', ')}`,
    );
  switch (name) {
    case 'builtin':
      return createBuiltinEngine(options as BuiltinEngineOptions);
    case 'demucs':
      return createDemucsEngine(options as DemucsEngineOptions);
    case 'mdx':
      return createMdxEngine(options as MdxEngineOptions);
  }
}
