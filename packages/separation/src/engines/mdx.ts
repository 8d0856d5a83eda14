import { basename, resolve } from 'node:path';
import { ImkError, oneIssuePerField } from '@imk/errors';
import type { Logger } from '@imk/log';
import { z } from 'zod';
import type { PcmChannels, SeparateRequest, SeparationEngine, SeparationResult } from '../engine.ts';
import { STEM_SAMPLE_RATE, openMixture } from '../pcm-source.ts';
import { BUILTIN_VERSION, createBlockSeparator } from '../builtin/index.ts';
import { createSampleFifo } from '../builtin/sample-fifo.ts';
import { createChunkSpectrogram } from '../mdx/chunk-spectrogram.ts';
import { createMdxDemixer } from '../mdx/demixer.ts';
import {
  MDX_HOP,
  assertMdxModelUsable,
  mdxPrimaryIsVocals,
  resolveMdxModelParams,
  type MdxModelParams,
} from '../mdx/model-params.ts';
import {
  describeUnusedProviders,
  ORT_SESSIONS,
  providerName,
  type MdxSession,
  type MdxSessionFactory,
} from '../mdx/model-session.ts';
import { createProviderFallback, type ProviderFallback } from '../mdx/provider-fallback.ts';
import { acquireMdxSession, type MdxSessionHandle } from '../mdx/session-pool.ts';
import { createStemWriters } from './stem-output.ts';
import '../errors.ts';

export const MDX_ENGINE_NAME = 'mdx';
/**
 * Version of this engine's arithmetic (STFT, chunking, stems); part of the stem cache key. Drums and bass
 * come from the builtin engine's split of the instrumental, so its version is part of this one: a new
 * builtin release must not serve mdx stems cached from the old split.
 */
export const MDX_ENGINE_VERSION = `1+builtin.${BUILTIN_VERSION}`;

export const MdxEngineOptionsSchema = z.strictObject({
  /** Path of the UVR MDX-Net `.onnx` model (relative to the working directory here; to the root in config). */
  model: z.string().min(1),
  /** 'default' = UVR's step of chunk − n_fft; or a fraction of the chunk that successive chunks share. */
  overlap: z.union([z.literal('default'), z.number().min(0).max(0.99)]).default('default'),
  /** Chunks per model run (only for models whose batch dimension is free); no effect on the output. */
  batchSize: z.number().int().min(1).max(16).default(1),
  /** ONNX Runtime intra-op threads. Default: the core count. */
  threads: z.number().int().min(1).max(256).optional(),
  /** UVR's "denoise": average f(X) and −f(−X); twice the model time. */
  denoise: z.boolean().default(false),
  /**
   * UVR's "Volume Compensation": the factor applied to the model's output. 'auto' = the model's own
   * `compensate` (its UVR model data); a number overrides it.
   */
  compensate: z.union([z.literal('auto'), z.number().positive().max(10)]).default('auto'),
  /**
   * ONNX Runtime execution providers in order of preference, e.g. ['cuda', 'cpu']: the first that works is
   * used (said in the log), so ['cuda', 'cpu'] runs on the CPU where CUDA cannot be loaded; a run that
   * fails on one (a GPU out of memory) goes on with the next, with a warning.
   */
  executionProviders: z.array(z.string().min(1)).min(1).default(['cpu']),
  /**
   * How the manifest names the model (`engine.params.model`). The worker sets it to the model's path relative
   * to models/ (`UVR/MDX_Net_Models/x.onnx`), whatever a job or the config wrote, so two models of one name
   * in different subfolders are told apart; default (and for a model configured outside models/) its file name.
   */
  modelName: z.string().min(1).optional(),
});
export type MdxEngineOptions = z.input<typeof MdxEngineOptionsSchema>;
type MdxConfig = z.output<typeof MdxEngineOptionsSchema>;

/** What a caller can inject besides the options (tests: a provider this machine does not have). */
export interface MdxEngineDeps {
  /** How ONNX Runtime sessions are made; default ONNX Runtime's own. */
  sessionFactory?: MdxSessionFactory;
  /** Stops waiting for the model's hash (a model on a share that does not answer): ImkError ABORTED. */
  signal?: AbortSignal;
}

/**
 * Runs a UVR MDX-Net ONNX model as UVR does (see ../mdx/) for vocals and instrumental: the model's primary
 * stem times `compensate`, and the mixture minus it. The builtin DSP then splits drums, bass and other out
 * of that instrumental, with "other" taking the rest, so drums + bass + other is exactly the model's
 * instrumental and vocals + instrumental is exactly the mixture.
 * Asynchronous: the model's hash (its last 10 MB) is read off the main thread, so a model on a share that
 * stops answering leaves the worker's heartbeat, cancels and log running (see resolveMdxModelParams).
 */
export async function createMdxEngine(
  options: MdxEngineOptions,
  deps: MdxEngineDeps = {},
): Promise<SeparationEngine> {
  const parsed = MdxEngineOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const errors = oneIssuePerField(parsed.error.issues, MdxEngineOptionsSchema).map(
      (i) => `${['mdx', ...i.path.map(String)].join('.')}: ${i.message}`,
    );
    throw new ImkError('INVALID_ENGINE_OPTIONS', `invalid mdx engine options: ${errors.join('; ')}`);
  }
  const config = parsed.data;
  const file = resolve(config.model);
  const found = await resolveMdxModelParams(file, deps.signal);
  // Checked now, not on the first song (and as imk models and imk doctor check it).
  assertMdxModelUsable(file, found);
  const model = config.compensate === 'auto' ? found : { ...found, compensate: config.compensate };
  const factory = deps.sessionFactory ?? ORT_SESSIONS;
  const open = (executionProviders: string[]) =>
    acquireMdxSession(file, model, { threads: config.threads, executionProviders }, factory);
  // The engine keeps its model's session from its first song until close(), so songs reuse it; each song
  // holds it too while it runs, so closing the engine (its model replaced) never pulls it from under one.
  interface Kept {
    providers: string;
    handle: Promise<MdxSessionHandle>;
    /** Set once opened. */
    session?: MdxSession;
  }
  let kept: Kept | undefined;
  let closed = false;
  const letGo = () => {
    const held = kept;
    kept = undefined;
    return held?.handle.then((h) => h.release()).catch(() => undefined);
  };
  // A provider that failed mid-run (a GPU out of memory) is set aside for the worker's life, for every engine
  // of the process (see failedMidRun): the next job, whatever its model or engine settings, would start on it
  // again and fail over at the same point.
  const providers = () => providersLeft(factory, config.executionProviders);
  const remember = (facts: SetAside) => {
    failedMidRun(factory).set(facts.from, facts);
    // The engine's own session is on the provider that failed (holding the GPU's memory): let it go.
    void letGo();
  };
  return {
    name: MDX_ENGINE_NAME,
    version: MDX_ENGINE_VERSION,
    params: {
      model: config.modelName ?? basename(file),
      model_hash: model.hash,
      // A model saved with its weights beside it: their hash, so that weights replaced are another model.
      ...(model.dataHash !== undefined && { model_data_hash: model.dataHash }),
      n_fft: model.nFft,
      dim_f: model.dimF,
      dim_t: model.dimT,
      compensate: model.compensate,
      primary_stem: model.primaryStem,
      overlap: config.overlap,
      denoise: config.denoise,
    },
    async separate(request) {
      const asideNow = setAsideFor(factory, config.executionProviders);
      const asking = providers();
      // Its session was opened before a provider was set aside (by a job of another engine), or a run of it was
      // dropped by a cancel (the session is set aside): let it go.
      if (kept !== undefined && (kept.providers !== asking.join() || kept.session?.usable === false))
        void letGo();
      const first = await open(asking);
      if (!closed && kept === undefined) {
        const held: Kept = { providers: asking.join(), handle: open(asking) };
        kept = held;
        held.handle.then(
          (h) => (held.session = h.session),
          () => {
            if (kept === held) kept = undefined;
          },
        );
      }
      return separateMdx(file, model, config, request, first, open, asideNow, remember);
    },
    async close() {
      closed = true;
      await letGo();
    },
  };
}

async function separateMdx(
  file: string,
  model: MdxModelParams,
  config: MdxConfig,
  request: SeparateRequest,
  // The model is opened (and its shape checked) before any audio is read.
  first: MdxSessionHandle,
  open: (executionProviders: string[]) => Promise<MdxSessionHandle>,
  setAside: readonly SetAside[],
  remember: (facts: SetAside) => void,
): Promise<SeparationResult> {
  const { signal, logger } = request;
  const warnings: string[] = [];
  // Said in each job's warnings (the manifest), in the log once: when the provider failed.
  const to = first.session.executionProviders[0] ?? '?';
  for (const aside of setAside) warnings.push(setAsideWarning(aside, to));
  const models = createProviderFallback({
    first,
    open,
    signal,
    afterFallback: (from) =>
      `; later jobs of this worker (any model) do not start on ${from} until it restarts (restart it to try ${from} again)`,
    onFallback(message, facts) {
      logger?.warn({ model: basename(file), ...facts }, message);
      warnings.push(message);
      remember(facts);
    },
  });
  try {
    return await separateWith(file, model, config, request, models, warnings);
  } finally {
    await models.release();
  }
}

async function separateWith(
  file: string,
  model: MdxModelParams,
  config: MdxConfig,
  request: SeparateRequest,
  models: ProviderFallback,
  warnings: string[],
): Promise<SeparationResult> {
  const { input, workDir, signal, onProgress, logger } = request;
  const session = models.session;
  logProviders(logger, session, file);
  const batchSize = session.dynamicBatch ? config.batchSize : 1;
  const mixtureSource = await openMixture(input, signal);
  const expected = mixtureSource.expectedFrames;
  const demixer = createMdxDemixer({
    spectrogram: createChunkSpectrogram(model.nFft, MDX_HOP, model.dimF, model.dimT),
    run: models.run,
    overlap: config.overlap,
    batchSize,
    denoise: config.denoise,
    compensate: model.compensate,
    signal,
  });
  const split = createBlockSeparator(STEM_SAMPLE_RATE);
  const mixture = createSampleFifo(2);
  const pending = createSampleFifo(4); // vocals L/R, instrumental L/R awaiting the builtin split
  const writers = createStemWriters(workDir);
  const primaryIsVocals = mdxPrimaryIsVocals(model);
  let frames = 0;
  let demixed = 0;
  let ok = false;

  async function onPrimary(primary: PcmChannels | undefined): Promise<void> {
    const n = primary?.[0]?.length ?? 0;
    if (primary === undefined || n === 0) return;
    const mix = [new Float32Array(n), new Float32Array(n)];
    mixture.read(0, demixed, mix[0]!);
    mixture.read(1, demixed, mix[1]!);
    mixture.dropBefore(demixed + n);
    const secondary = mix.map((m, c) => m.map((v, i) => v - primary[c]![i]!));
    const [vocals, instrumental] = primaryIsVocals ? [primary, secondary] : [secondary, primary];
    pending.append([vocals[0]!, vocals[1]!, instrumental[0]!, instrumental[1]!]);
    demixed += n;
    if (expected !== undefined && expected > 0) onProgress?.(Math.min(0.99, demixed / expected));
    // Checked before the builtin split of this block, so an abort does not wait for it.
    signal?.throwIfAborted();
    await writeSplit(split.push(instrumental));
  }

  async function writeSplit(stems: ReturnType<typeof split.flush> | undefined): Promise<void> {
    const n = stems?.drums[0]?.length ?? 0;
    if (stems === undefined || n === 0) return;
    const from = writers.frames;
    const held = [0, 1, 2, 3].map((c) => {
      const a = new Float32Array(n);
      pending.read(c, from, a);
      return a;
    });
    pending.dropBefore(from + n);
    const other = [0, 1].map((c) => held[2 + c]!.map((v, i) => v - stems.drums[c]![i]! - stems.bass[c]![i]!));
    await writers.write({ vocals: [held[0]!, held[1]!], drums: stems.drums, bass: stems.bass, other });
  }

  try {
    onProgress?.(0);
    for await (const block of mixtureSource.blocks()) {
      signal?.throwIfAborted();
      const l = block[0] ?? new Float32Array(0);
      const stereo = [l, block[1] ?? l];
      frames += l.length;
      mixture.append(stereo);
      await onPrimary(await demixer.push(stereo));
    }
    signal?.throwIfAborted();
    await onPrimary(await demixer.flush());
    await writeSplit(split.flush());
    signal?.throwIfAborted();
    await writers.close();
    if (writers.frames !== frames || demixed !== frames)
      throw new ImkError(
        'ENGINE_FAILED',
        `mdx engine wrote ${writers.frames} frames of stems (${demixed} demixed) for ${frames} frames of ${input}`,
      );
    ok = true;
    logger?.debug({ frames, model: basename(file), hash: model.hash }, 'mdx separation done');
    onProgress?.(1);
    return { stems: writers.files, sampleRate: STEM_SAMPLE_RATE, frames, warnings };
  } catch (error) {
    if (signal?.aborted === true)
      throw new ImkError('ABORTED', `aborted while separating ${input}`, { cause: signal.reason });
    throw error;
  } finally {
    if (!ok) await writers.abort();
  }
}

/** A provider that failed mid-run in a job, set aside for later ones, and why. */
interface SetAside {
  from: string;
  reason: string;
}

// The providers that failed mid-run in this process, by provider name: remembered per process, not per engine,
// since the worker makes a new engine for a job with other engine settings (another model, overlap…), and
// each such job started on the failing GPU again and failed over once more. Kept per session factory, as the
// session pool is: ONNX Runtime's own for the worker, a test's stand-in for a GPU its own.
const asideByFactory = new WeakMap<MdxSessionFactory, Map<string, SetAside>>();

function failedMidRun(factory: MdxSessionFactory): Map<string, SetAside> {
  let aside = asideByFactory.get(factory);
  if (aside === undefined) asideByFactory.set(factory, (aside = new Map<string, SetAside>()));
  return aside;
}

/** The providers of `listed` set aside in this process (in the list's order), never the last one listed. */
function setAsideFor(factory: MdxSessionFactory, listed: readonly string[]): SetAside[] {
  const aside = failedMidRun(factory);
  const names = listed.map(providerName);
  const out: SetAside[] = [];
  for (const [i, name] of names.entries()) {
    const facts = aside.get(name);
    // The last provider is kept: with nothing after it, a job runs on it (and fails as it would alone).
    if (facts !== undefined && i < names.length - 1 && !out.includes(facts)) out.push(facts);
  }
  return out;
}

/** The providers a job asks for: those listed, less the ones set aside in this process. */
function providersLeft(factory: MdxSessionFactory, listed: readonly string[]): string[] {
  const aside = new Set(setAsideFor(factory, listed).map((a) => a.from));
  return listed.filter((p) => !aside.has(providerName(p)));
}

function setAsideWarning(aside: SetAside, to: string): string {
  return `mdx: ran on ${to}, not ${aside.from}: ${aside.from} failed mid-run in an earlier job of this worker (${aside.reason}); restart the worker to try ${aside.from} again`;
}

/** Says which execution provider runs the model, and why any asked for before it could not be used. */
function logProviders(logger: Logger | undefined, session: MdxSession, file: string): void {
  const [used = 'none'] = session.executionProviders;
  const facts = { model: basename(file), execution_providers: session.executionProviders };
  if (session.unusedProviders.length === 0) {
    logger?.info(facts, `mdx: running on ${used}`);
    return;
  }
  logger?.warn(
    { ...facts, unused_providers: session.unusedProviders },
    `mdx: running on ${used}; could not use ${describeUnusedProviders(session.unusedProviders)}`,
  );
}
