import { ImkError, isImkError } from '@imk/errors';
import type * as OrtModule from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { externalDataProblem } from './external-data.ts';
import { assertModelUnchanged, checkShape, firstLine, runFailure } from './model-checks.ts';
import type { MdxModelParams } from './model-params.ts';
import { createThreadSession, type OrtSession } from './ort-thread.ts';
import '../errors.ts';

/** What UVR feeds an MDX-Net model and reads back: `ort_.run(None, {'input': spek})[0]`. */
export const MDX_INPUT_NAME = 'input';

export interface MdxSessionOptions {
  /** ORT intra-op threads; default the core count. */
  threads?: number;
  /**
   * ORT execution providers, in order of preference: the first that works is used (`[cuda, cpu]` runs on the
   * CPU where CUDA cannot be loaded), and the ones after it stay ORT's fallback for operators it lacks.
   */
  executionProviders: string[];
}

/** A provider asked for that could not be used, and ONNX Runtime's reason. */
export interface UnusedProvider {
  provider: string;
  reason: string;
}

/** "cuda (reason); rocm (reason)": the providers that could not be used, as the log and doctor say it. */
export function describeUnusedProviders(unused: readonly UnusedProvider[]): string {
  return unused.map((u) => `${u.provider} (${u.reason})`).join('; ');
}

/** An open model: runs [batch, 4, dim_f, dim_t] spectrograms. */
export interface MdxSession {
  readonly inputName: string;
  readonly outputName: string;
  /** The input shape the model declares (a symbolic dimension is a string). */
  readonly inputShape: ReadonlyArray<number | string>;
  /** Whether the model accepts more than one chunk per run. */
  readonly dynamicBatch: boolean;
  /** The providers the session runs with, the one doing the work first (e.g. [cpu] when cuda failed). */
  readonly executionProviders: readonly string[];
  /** Providers asked for before those that could not be used, each with the reason (empty when none). */
  readonly unusedProviders: readonly UnusedProvider[];
  /**
   * Runs the model on `batch` spectrograms. A failure of ONNX Runtime's run is MODEL_INVALID, or
   * ENGINE_FAILED when it ran out of memory, with `details.provider` the provider that ran it.
   */
  run(input: Float32Array, batch: number, signal?: AbortSignal): Promise<Float32Array>;
  /**
   * False once the session can run no more: a run of it was dropped by an abort, or it
   * was closed. The pool then opens a new one for the next user.
   */
  readonly usable: boolean;
  /** Lets go of ONNX Runtime's session (its native memory); the pool calls it when the last user is done. */
  close(): Promise<void>;
}

// Loaded on first use: the native addon is not needed by anyone who never runs the mdx engine.
type Ort = typeof OrtModule;
let ort: Promise<Ort> | undefined;

/**
 * How sessions are made: ONNX Runtime's own ({@link ORT_SESSIONS}), or a test's stand-in for a provider this
 * machine does not have (a GPU that runs out of memory on a chunk).
 */
export interface MdxSessionFactory {
  /** The execution providers it can make sessions with (ONNX Runtime: `listSupportedBackends()`). */
  providers: () => Promise<readonly string[]>;
  /**
   * A session of the model at `file` (ONNX Runtime: `InferenceSession.create(file, options)`, in a thread of
   * its own, see ort-thread.ts).
   */
  create: (file: string, options: InferenceSession.SessionOptions) => Promise<OrtSession>;
}

/**
 * ONNX Runtime's sessions, loading onnxruntime-node on first use; each session is opened and run in a thread of
 * its own, so that neither a long model run nor the load of a large model stops the worker's main thread.
 */
export const ORT_SESSIONS: MdxSessionFactory = {
  async providers() {
    ort ??= loadOrt();
    return (await ort).listSupportedBackends().map((b) => b.name);
  },
  async create(file, options) {
    ort ??= loadOrt();
    return createThreadSession(file, options, (await ort).Tensor);
  },
};

/**
 * ONNX Runtime for Node's name of an execution provider (cpu, cuda, dml, coreml, tensorrt…), from any case and
 * from the Python API's names that UVR and python-audio-separator users know (CUDAExecutionProvider,
 * CPUExecutionProvider): `[CPU]` failed every job with "backend not found" and `[CUDAExecutionProvider,
 * CPUExecutionProvider]` never ran at all, while `[cpu]` worked.
 */
export function providerName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/executionprovider$/, '');
}

/**
 * Loads ONNX Runtime now, or throws ImkError('ENGINE_UNAVAILABLE') saying why it cannot be: for a caller
 * that must know whether the mdx engine can run here before it runs (the worker's engine.fallback).
 */
export async function checkMdxRuntime(): Promise<void> {
  ort ??= loadOrt();
  await ort;
}

/**
 * A new session of the model at `file` (use session-pool's acquireMdxSession, which shares them), on the
 * first of `executionProviders` that works, its input and output checked against `params`.
 */
export async function createMdxSession(
  file: string,
  params: MdxModelParams,
  threads: number,
  executionProviders: string[],
  factory: MdxSessionFactory,
): Promise<MdxSession> {
  ort ??= loadOrt();
  const { Tensor } = await ort;
  let opened: { session: OrtSession; providers: string[] } | undefined;
  const unusedProviders: UnusedProvider[] = [];
  let cause: unknown;
  // The file ONNX Runtime opens must be the one that was hashed (the hash names the model in the manifest and
  // chose its parameters): its identity is checked before and after the open, and a change refused.
  const create = async (providers: string[]) => {
    await assertModelUnchanged(file, params);
    const session = await factory.create(file, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionProviders: providers,
      graphOptimizationLevel: 'all',
    });
    try {
      await assertModelUnchanged(file, params);
    } catch (error) {
      await session.release();
      throw error;
    }
    return session;
  };
  // A name ONNX Runtime has no provider for ("warp-drive", "cdua") is set aside here, said in our own
  // words, and never reaches ORT: given one, ORT printed its own "removing requested execution provider"
  // line on the terminal, above our warning, and dropped it.
  const known = await factory.providers();
  const wanted: string[] = [];
  for (const provider of executionProviders) {
    if (known.includes(provider)) wanted.push(provider);
    else {
      cause = new Error(`this ONNX Runtime has no provider of that name (it has ${known.join(', ')})`);
      unusedProviders.push({ provider, reason: firstLine(cause) });
    }
  }
  // The list means "the first that works", wherever in it a provider cannot be opened: ORT fails the whole
  // session when any one of them cannot be loaded (cuda without its libraries or a GPU), so [cpu, cuda] did
  // not open at all where CUDA is missing, though the CPU came first. When the whole list fails, each
  // provider is tried alone, the ones that fail are set aside with their own reason, and the model is
  // opened with those that work, in the order given.
  if (wanted.length > 0) {
    try {
      opened = { session: await create(wanted), providers: wanted };
    } catch (error) {
      if (isImkError(error, 'MODEL_CHANGED')) throw error;
      cause = error;
      if (wanted.length === 1) unusedProviders.push({ provider: wanted[0]!, reason: firstLine(error) });
    }
  }
  if (opened === undefined && wanted.length > 1) {
    const working: string[] = [];
    let cpuFailed: unknown;
    for (const provider of wanted) {
      try {
        await (await create([provider])).release();
        working.push(provider);
      } catch (error) {
        if (isImkError(error, 'MODEL_CHANGED')) throw error;
        // The CPU's failure is the one to report when nothing opens: the model itself is at fault.
        if (cpuFailed === undefined) cause = error;
        if (provider === 'cpu') cpuFailed = cause = error;
        unusedProviders.push({ provider, reason: firstLine(error) });
      }
    }
    // Each alone opens, together they do not (not seen; ORT would be at fault): the first that works alone.
    for (const providers of [working, working.slice(0, 1)]) {
      if (opened !== undefined || providers.length === 0) continue;
      try {
        opened = { session: await create(providers), providers };
      } catch (error) {
        if (isImkError(error, 'MODEL_CHANGED')) throw error;
        cause = error;
      }
    }
    if (opened !== undefined) {
      const used = opened.providers;
      for (const provider of working)
        if (!used.includes(provider))
          unusedProviders.push({
            provider,
            reason: `opens alone, but not with ${used.join(', ')}: ${firstLine(cause)}`,
          });
    }
  }
  // Said in the order they were listed.
  const order = (u: UnusedProvider) => executionProviders.indexOf(u.provider);
  unusedProviders.sort((a, b) => order(a) - order(b));
  if (opened === undefined) {
    // A model whose weights are kept in a data file beside it, missing or cut short: that file named.
    const data = await externalDataProblem(file, cause);
    if (data !== undefined) throw data;
    if (await opensOnCpu(factory, file, executionProviders))
      throw new ImkError(
        'ENGINE_UNAVAILABLE',
        `ONNX Runtime cannot run MDX model ${file} with the execution providers ${executionProviders.join(', ')} here (the model itself opens on the CPU): ${describeUnusedProviders(unusedProviders)}; a GPU provider such as cuda needs onnxruntime-node's GPU libraries (its install script downloads them; they are missing when npm install scripts are off) and the GPU's runtime, or set executionProviders: [cpu] (or [cuda, cpu]: the first that works is used)`,
        { cause, details: { file, executionProviders } },
      );
    throw new ImkError(
      'MODEL_INVALID',
      `MDX model ${file} could not be opened by ONNX Runtime (a corrupt or truncated file, or not an ONNX model; providers ${executionProviders.join(', ')}): ${firstLine(cause)}`,
      { cause, details: { file, hash: params.hash } },
    );
  }
  const { session, providers } = opened;
  try {
    return describeSession(file, params, session, providers, unusedProviders, Tensor);
  } catch (error) {
    // A model refused after it opened (its shape, its types) lets go of its session: each job that tried
    // it again made one more.
    await session.release();
    throw error;
  }
}

function describeSession(
  file: string,
  params: MdxModelParams,
  session: OrtSession,
  providers: string[],
  unusedProviders: UnusedProvider[],
  Tensor: Ort['Tensor'],
): MdxSession {
  const meta = session.inputMetadata.find((m) => m.name === MDX_INPUT_NAME) ?? session.inputMetadata[0];
  const shape = meta?.isTensor === true ? meta.shape : [];
  checkShape(file, params, meta?.name, shape);
  const inputName = meta!.name;
  const outputName = session.outputNames[0]!;
  // UVR feeds float32 and reads float32; a float16 (or other) conversion passed imk doctor and then failed
  // every job with ONNX Runtime's bare "Unexpected input data type", retried as an unknown error.
  const output = session.outputMetadata.find((m) => m.name === outputName);
  for (const [what, name, value] of [
    ['input', inputName, meta],
    ['output', outputName, output],
  ] as const) {
    const type = value?.isTensor === true ? value.type : 'not a tensor';
    if (type !== 'float32')
      throw new ImkError(
        'MODEL_SHAPE_MISMATCH',
        `MDX model ${file} ${what === 'input' ? 'takes its input' : 'returns its output'} ${name} as ${type}; an MDX-Net model ${what === 'input' ? 'takes' : 'returns'} float32 spectrograms, as UVR runs it (a float16 or otherwise converted copy cannot be run: use the original .onnx)`,
        { details: { file, hash: params.hash, [what]: type } },
      );
  }
  const expected = [4, params.dimF, params.dimT];
  let closed: Promise<void> | undefined;
  return {
    inputName,
    outputName,
    inputShape: shape,
    dynamicBatch: typeof shape[0] !== 'number',
    executionProviders: providers,
    unusedProviders,
    get usable() {
      return closed === undefined && session.usable !== false;
    },
    async run(input, batch, signal) {
      const tensor = new Tensor('float32', input, [batch, ...expected]);
      let result: InferenceSession.ReturnType;
      try {
        result = await session.run({ [inputName]: tensor }, signal);
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason;
        throw runFailure(file, params, [batch, ...expected], providers[0]!, error);
      }
      const output = result[outputName];
      if (output?.type !== 'float32' || output.data.length !== input.length)
        throw new ImkError(
          'MODEL_SHAPE_MISMATCH',
          `MDX model ${file} returned ${output?.type ?? 'nothing'} of shape [${output?.dims.join(', ') ?? ''}] for an input of [${[batch, ...expected].join(', ')}]; it must return the same shape`,
          { details: { file } },
        );
      return output.data as Float32Array;
    },
    close() {
      closed ??= session.release();
      return closed;
    },
  };
}

/**
 * Whether `file` opens with the CPU provider alone, when other providers were asked for and failed: tells an
 * unusable provider (no CUDA libraries) from a corrupt model, which would fail on the CPU as well.
 */
async function opensOnCpu(
  factory: MdxSessionFactory,
  file: string,
  executionProviders: string[],
): Promise<boolean> {
  if (executionProviders.length === 1 && executionProviders[0] === 'cpu') return false;
  try {
    const session = await factory.create(file, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
    });
    await session.release();
    return true;
  } catch {
    return false;
  }
}

/**
 * onnxruntime-node, or ImkError('ENGINE_UNAVAILABLE') saying what to do: the package may be absent (an install
 * without it) or its native library unloadable (no prebuilt library for this platform, a musl system such
 * as Alpine); Node's own "Cannot find module … Require stack" told the user nothing about either.
 */
async function loadOrt(): Promise<Ort> {
  try {
    const ort = await import('onnxruntime-node');
    // ONNX Runtime's own log (set before its first session, when it starts) keeps to fatal errors: every
    // failure it meets reaches us as an exception and the user as our message, naming the model and what
    // to do. Left at its default it printed a red "[E:onnxruntime…] Failed to load library …" line on the
    // terminal whenever `[cuda, cpu]` fell back to the CPU, before every job, above our one-line warning.
    ort.env.logLevel = 'fatal';
    return ort;
  } catch (cause) {
    const reason = firstLine(cause);
    throw new ImkError(
      'ENGINE_UNAVAILABLE',
      `the mdx engine needs ONNX Runtime (the onnxruntime-node package), which could not be loaded on this ${process.platform}-${process.arch} system: ${reason}; run npm ci again where instrumental-maker is installed (ONNX Runtime ships prebuilt libraries for glibc Linux x64/arm64, macOS and Windows), or use the builtin engine`,
      { cause },
    );
  }
}
