import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadServiceConfig, resolvePaths } from '@imk/config';
import { errorMessage } from '@imk/errors';
import { createQueue, defaultConsumerId, type Queue } from '@imk/fsqueue';
import { openLedgerRecovering, type Ledger } from '@imk/ledger';
import type { Logger } from '@imk/log';
import { openNotifier, type NotifierHandle } from '@imk/notify';
import { openDiskGuard } from '@imk/ops';
import { parseVariantRef } from '@imk/separation';
import { ImkError } from '@imk/errors';
import {
  InstrumentalMakerConfigSchema,
  SERVICE_NAME,
  defaultConcurrency,
  outputDefaultsProblem,
  type InstrumentalMakerConfig,
} from './config.ts';
import type { WorkerContext } from './context.ts';
import { createEngineProvider, type EngineProvider } from './engines.ts';
import type { JobOutcome } from './process-job.ts';
import { createRejectionRecorder } from './rejections.ts';
import { createSafeLedger } from './safe-ledger.ts';
import { notifyOutcome, notifyRejected } from './notify-outcome.ts';
import { createStemCache } from './stem-cache.ts';
import { configuredDir, stemCacheDirOf } from './stem-cache-dir.ts';
import { whenSpace } from './start-up.ts';
import { runWorkerLoop, type WorkerQueue } from './worker.ts';

export interface StartInstrumentalMakerOptions {
  /** The folder holding queues/, outputs/, config/ and state/. */
  root: string;
  logger: Logger;
  /** Aborting stops claiming; running jobs get the configured grace period, then are released. */
  signal: AbortSignal;
  /** Jobs at once in this worker. @default config `concurrency`, else one per core (at most 4) */
  concurrency?: number;
  /** Config already loaded (else read from config/instrumental-maker.yaml). */
  config?: InstrumentalMakerConfig;
  /** Called after each job ends (succeeded, retried, failed, released). */
  onOutcome?: (outcome: JobOutcome) => void;
}

export interface RunResult {
  /** False when any job failed (archived as failed) or a bundle was rejected during this run. */
  ok: boolean;
  succeeded: number;
  /** Succeeded by linking an earlier job's outputs (duplicate policy "skip"). */
  duplicates: number;
  failed: number;
  retried: number;
  /** Bundles the queue rejected as invalid while this run claimed. */
  rejected: number;
  /** Jobs stopped by a cancel (`imk cancel`, the dashboard) while this run held them. */
  cancelled: number;
  outcomes: JobOutcome[];
}

function checkConfig(config: InstrumentalMakerConfig): void {
  // `instrumental@-2` names the recipe `instrumental` (the schema read its key/tempo changes).
  for (const name of config.variants)
    if (config.recipes[parseVariantRef(name).base] === undefined)
      throw new ImkError(
        'CONFIG_INVALID',
        `config/instrumental-maker.yaml: variants: "${name}" has no recipe; known: ${Object.keys(config.recipes).join(', ')}`,
      );
}

async function run(options: StartInstrumentalMakerOptions, once: boolean): Promise<RunResult> {
  const paths = resolvePaths(options.root);
  const config =
    options.config ??
    (
      await loadServiceConfig({
        service: SERVICE_NAME,
        schema: InstrumentalMakerConfigSchema,
        root: paths.root,
      })
    ).config;
  checkConfig(config);
  const concurrency = options.concurrency ?? config.concurrency ?? defaultConcurrency();
  // fsqueue's own (host name cut to fit): a host name of 50 characters or more made an id past the
  // 64-character limit, and the worker refused to start (INVALID_CONSUMER_ID).
  const consumerId = defaultConsumerId();
  const logger = options.logger.child({ component: SERVICE_NAME, consumer: consumerId });
  const workRoot = configuredDir(paths, config.workDir, join(paths.tmp, SERVICE_NAME));
  const cacheDir = stemCacheDirOf(config, paths);
  const stopGuard = new AbortController();
  // The guard comes first: on a full disk the steps below wait for space instead of failing for good.
  const guard = await openDiskGuard({ root: paths.root, logger, signal: stopGuard.signal });
  let ledger: Ledger | undefined;
  let notifier: NotifierHandle | undefined;
  let engines: EngineProvider | undefined;
  const queues: WorkerQueue[] = [];
  try {
    notifier = await openNotifier({ root: paths.root, logger });
    await whenSpace(
      'creating the work folders',
      async () => {
        await mkdir(workRoot, { recursive: true });
        await mkdir(paths.outputs, { recursive: true });
        if (config.stemCache.enabled) await mkdir(cacheDir, { recursive: true });
      },
      guard,
      logger,
      options.signal,
    );
    ledger = await whenSpace(
      'opening the ledger',
      () => openLedgerRecovering({ root: paths.root, logger }),
      guard,
      logger,
      options.signal,
    );
    const safeLedger = createSafeLedger(ledger, logger);
    const told = notifier;
    const rejections = createRejectionRecorder(
      () => safeLedger,
      logger,
      (rejection, message) => notifyRejected(told, rejection.jobId, message),
    );
    for (const { name, weight } of config.queues) {
      const queueDir = join(paths.queues, name);
      // Bundles rejected while no worker of this ledger ran; from now on the queue tells (onReject).
      await rejections.catchUp(name, queueDir);
      queues.push({
        name,
        weight,
        queue: createQueue({
          queueDir,
          consumerId,
          leaseMs: config.leaseMs,
          maxAttempts: config.retry.maxAttempts,
          pollMs: config.pollMs,
          onReject: (rejection) => rejections.note(name, rejection),
          logger,
        }),
      });
    }
    const rejectedBefore = await countRejected(queues.map((q) => q.queue));
    const ctx: WorkerContext = {
      paths,
      config,
      ledger: safeLedger,
      cache: config.stemCache.enabled ? createStemCache({ dir: cacheDir, logger }) : undefined,
      engines: (engines = createEngineProvider(paths.root, config)),
      consumerId,
      workRoot,
      logger,
    };
    logger.info(
      { queues: config.queues.map((q) => q.name), concurrency, engine: config.engine.name, once },
      'instrumental-maker started',
    );
    const outputProblem = outputDefaultsProblem(config.output);
    if (outputProblem !== undefined) logger.warn({ output: config.output }, outputProblem.message);
    const outcomes = await runWorkerLoop({
      ctx,
      queues,
      concurrency,
      signal: options.signal,
      once,
      gracePeriodMs: config.gracePeriodMs,
      mayClaim: () => guard.shouldClaim(),
      onOutcome: (outcome) => {
        if (notifier) notifyOutcome(notifier, outcome);
        options.onOutcome?.(outcome);
      },
    });
    const rejected = Math.max(0, (await countRejected(queues.map((q) => q.queue))) - rejectedBefore);
    const count = (status: JobOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    const result: RunResult = {
      ok: count('failed') === 0 && rejected === 0,
      succeeded: count('succeeded') + count('duplicate') + count('resumed'),
      duplicates: count('duplicate'),
      failed: count('failed'),
      retried: count('retry'),
      rejected,
      cancelled: count('cancelled'),
      outcomes,
    };
    logger.info({ ...result, outcomes: undefined }, 'instrumental-maker stopped');
    return result;
  } finally {
    stopGuard.abort();
    await Promise.all(
      queues.map((q) =>
        q.queue
          .close()
          .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'closing a queue failed')),
      ),
    );
    ledger?.close();
    // Every engine lets go of what it holds (the mdx engine's ONNX Runtime session): under `imk up` the
    // process goes on running the other services.
    await engines?.close();
    // The last service of the process to let go sends what is still due (`imk run` exits after this).
    await notifier?.close();
  }
}

async function countRejected(queues: Queue[]): Promise<number> {
  let total = 0;
  for (const queue of queues) total += (await queue.counts()).rejected;
  return total;
}

/** Runs the worker until `signal` aborts (SIGTERM: stop claiming, finish or release within the grace period). */
export function startInstrumentalMaker(options: StartInstrumentalMakerOptions): Promise<RunResult> {
  return run(options, false);
}

/** Runs until every configured queue has no ready and no claimed job; `ok` is false if any job failed. */
export function runOnce(
  options: Omit<StartInstrumentalMakerOptions, 'signal'> & { signal?: AbortSignal },
): Promise<RunResult> {
  return run({ ...options, signal: options.signal ?? new AbortController().signal }, true);
}
