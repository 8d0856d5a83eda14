import { access, constants } from 'node:fs/promises';
import { basename } from 'node:path';
import { ImkError, isAbsentErrno, isImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { resolveTool } from '@imk/tools';
import { checkMdxRuntime, type SeparationEngine } from '@imk/separation';
import type { WorkerContext } from './context.ts';
import type { ResolvedOptions } from './options.ts';

export interface EngineChoice {
  options: ResolvedOptions;
  engine: SeparationEngine;
  /** Set when the engine asked for is not installed and builtin was used instead. */
  warning?: string;
}

/** Why the engine `options.engine` cannot run on this machine, or undefined when it can. */
async function unavailable(
  ctx: WorkerContext,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const spec = options.engine;
  const custom = ctx.config.engine.module !== undefined && spec.name === ctx.config.engine.name;
  try {
    await ctx.engines.get(spec, signal);
    // The mdx engine loads ONNX Runtime only when it first runs; a missing runtime is an engine not
    // installed here, as a missing demucs is.
    if (spec.name === 'mdx' && !custom) await checkMdxRuntime();
  } catch (error) {
    if (isImkError(error, 'UNKNOWN_ENGINE') || isImkError(error, 'ENGINE_UNAVAILABLE')) return error.message;
    // A model a job or its sidecar names that this machine's models/ does not have is the mdx engine not
    // installed here for it, as a sidecar's htdemucs without demucs is (the sidecar came from another
    // machine). The config's own model missing stays an error: that is this machine's setting, and doctor
    // says so. A model that is there but unusable (a folder, corrupt, unknown) is an error whoever named it.
    if (isImkError(error, 'MODEL_MISSING') && options.modelFromJob === true && isAbsentErrno(error.cause))
      return `${options.modelFrom}: ${error.message}`;
    throw error;
  }
  if (spec.name !== 'demucs' || custom) return undefined;
  // demucs only looks for its command when it runs; a job should not wait for that to learn it is missing.
  const command = typeof spec.params.command === 'string' ? spec.params.command : 'demucs';
  try {
    if (basename(command) === command) await resolveTool(command);
    else await access(command, constants.X_OK);
    return undefined;
  } catch {
    return `the "${command}" command is not installed (pip install demucs, or set IMK_DEMUCS)`;
  }
}

/**
 * An error about the engine's model (MODEL_MISSING, MODEL_UNKNOWN…) names the model's file; this adds the
 * setting that named it ("config/instrumental-maker.yaml: engine.model: MDX model … does not exist"), so
 * the job's error file says what to change. The code, and so the retry policy, stay the error's own.
 */
function namingModelField(options: ResolvedOptions): (error: unknown) => never {
  return (error) => {
    if (options.modelFrom === undefined || !isImkError(error) || !error.code.startsWith('MODEL_'))
      throw error;
    throw new ImkError(error.code, `${options.modelFrom}: ${error.message}`, {
      cause: error,
      details: { ...error.details, field: options.modelFrom },
    });
  };
}

function describe(spec: ResolvedOptions['engine']): string {
  const model = typeof spec.params.model === 'string' ? ` (model ${spec.params.model})` : '';
  return `"${spec.name}"${model}`;
}

/**
 * The engine a job asked for (config, job.json or its sidecar), or builtin when that one is not installed
 * here: the earlier version's sidecars and settings name `htdemucs`, which most machines do not have. The
 * fallback is said in the manifest and the log; with `engine.fallback: false` the job fails at once
 * instead (not retried: another attempt on this machine would find the same).
 */
export async function chooseEngine(
  ctx: WorkerContext,
  options: ResolvedOptions,
  logger: Logger,
  signal?: AbortSignal,
): Promise<EngineChoice> {
  const wanted = options.engine;
  const reason =
    wanted.name === 'builtin'
      ? undefined
      : await unavailable(ctx, options, signal).catch(namingModelField(options));
  if (reason === undefined)
    return { options, engine: await ctx.engines.get(wanted, signal).catch(namingModelField(options)) };
  const from = options.sources.at(-1) ?? 'config';
  if (!ctx.config.engine.fallback)
    throw new ImkError(
      'ENGINE_UNAVAILABLE',
      `the separation engine ${describe(wanted)} named by ${from} is not available: ${reason}; install it, or name another engine, or set engine.fallback: true in config/instrumental-maker.yaml to use builtin instead`,
      { details: { engine: wanted.name, source: from } },
    );
  const params = ctx.config.engine.name === 'builtin' ? { ...ctx.config.engine.params } : {};
  const builtin = { name: 'builtin', params };
  const warning = `the separation engine ${describe(wanted)} named by ${from} is not available (${reason}); the builtin engine was used instead (engine.fallback: false in config/instrumental-maker.yaml makes this an error)`;
  logger.warn({ engine: wanted.name, source: from }, warning);
  return {
    options: { ...options, engine: builtin },
    engine: await ctx.engines.get(builtin, signal),
    warning,
  };
}
