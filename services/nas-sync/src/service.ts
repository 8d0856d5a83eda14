import { watch, type FSWatcher } from 'node:fs';
import { resolvePaths } from '@imk/config';
import { ImkError, errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { createRefreshScheduler, openNotifier } from '@imk/notify';
import {
  ReceiptStore,
  type PassSummary,
  type RunPassOptions,
  type SyncEngine,
  type VerifyReport,
} from '@imk/sync';
import { graceAfter } from '@imk/tools';
import { afterPass } from './after-pass.ts';
import { openEngine } from './engine.ts';
import { loadNasSyncConfig, type NasSyncConfig } from './config.ts';
import { openWritableReceipts } from './receipts.ts';
import './errors.ts';

export interface NasSyncOptions {
  /** The folder holding config/, outputs/ and state/. */
  root: string;
  logger: Logger;
  signal?: AbortSignal;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface RunOnceOptions extends NasSyncOptions {
  /** Print the plan only: no copy, no receipt. */
  dryRun?: boolean;
  /** Only this job. */
  jobId?: string;
}

export type RunOnceResult =
  | { state: 'not-configured' | 'disabled'; reason: string }
  | {
      state: 'ran';
      summary: PassSummary;
      /** A dry run while nasSync.enabled is false: why nothing is sent, and that the plan is what enabling it would do. */
      disabled?: string;
    };

/** Opens the receipts and takes this host's single-runner lock; two nas-sync processes never copy the same file. */
function openAsRunner(root: string, logger: Logger): ReceiptStore {
  const receipts = openWritableReceipts(root, logger);
  if (!receipts) throw new ImkError('RECEIPTS_OPEN_FAILED', 'cannot open the sync receipts');
  const holder = receipts.acquireRunner();
  if (holder !== undefined) {
    receipts.close();
    throw new ImkError(
      'SYNC_ALREADY_RUNNING',
      `nas-sync is already running (pid ${holder}) on ${root}; it syncs new outputs by itself (imk sync status shows progress)`,
    );
  }
  return receipts;
}

/**
 * One pass: deliver what is due, then return. Not configured, or disabled: one warning and nothing else; but
 * a dry run sends nothing, so while disabled (as `imk migrate` writes NAS_DRY_RUN=true) it still shows what
 * enabling sync would send, and says that sync is disabled.
 */
export async function runNasSyncOnce(options: RunOnceOptions): Promise<RunOnceResult> {
  const loaded = await loadNasSyncConfig(options.root, options.env);
  if (loaded.state === 'not-configured' || (loaded.state === 'disabled' && options.dryRun !== true)) {
    options.logger.warn(loaded.reason);
    return { state: loaded.state, reason: loaded.reason };
  }
  const disabled =
    loaded.state === 'disabled'
      ? `nas-sync is disabled (nasSync.enabled is false in ${loaded.file ?? 'config/nas-sync.yaml'}): nothing is sent. With enabled: true, a pass would send this:`
      : undefined;
  const receipts = options.dryRun
    ? ReceiptStore.open({ file: resolvePaths(options.root).receipts, readonly: true })
    : openAsRunner(options.root, options.logger);
  const engine = openEngine(loaded.config, options, receipts);
  const notifier = options.dryRun ? undefined : await openNotifier(options);
  try {
    const summary = await passWithGrace(engine, loaded.config, options, {
      dryRun: options.dryRun,
      jobId: options.jobId,
    });
    if (notifier)
      await afterPass(summary, loaded.config, {
        ...options,
        notifier,
        stateDir: resolvePaths(options.root).state,
      });
    return { state: 'ran', summary, ...(disabled !== undefined && { disabled }) };
  } finally {
    await engine.close();
    if (!options.dryRun) receipts?.releaseRunner();
    receipts?.close();
    await notifier?.close();
  }
}

export type VerifyResult =
  | { state: 'not-configured' | 'disabled' | 'never-synced'; reason: string }
  | { state: 'ran'; report: VerifyReport };

/**
 * `imk sync verify`: re-checks delivered copies against their receipts. It copies nothing, so it runs
 * beside a running nas-sync; gone or altered copies are recorded as failed for `imk sync retry`.
 */
export async function verifyNasSync(options: RunOnceOptions): Promise<VerifyResult> {
  const loaded = await loadNasSyncConfig(options.root, options.env);
  if (loaded.state !== 'enabled') return { state: loaded.state, reason: loaded.reason };
  const file = resolvePaths(options.root).receipts;
  const existing = ReceiptStore.open({ file, readonly: true });
  if (!existing) return { state: 'never-synced', reason: 'nothing has been delivered yet (no receipts)' };
  existing.close();
  const receipts = openWritableReceipts(options.root, options.logger);
  const engine = openEngine(loaded.config, options, receipts);
  try {
    return { state: 'ran', report: await engine.verify({ jobId: options.jobId, signal: options.signal }) };
  } finally {
    await engine.close();
    receipts?.close();
  }
}

/**
 * A pass that a stop (`signal`) lets finish: no transfer starts any more, and those under way get
 * gracePeriodSec before they are stopped. The tools they run are in process groups of their own
 * (@imk/tools), so a Ctrl-C meant for imk does not kill them first.
 */
function passWithGrace(
  engine: SyncEngine,
  config: NasSyncConfig,
  { signal, logger }: { signal?: AbortSignal | undefined; logger: Logger },
  pass: RunPassOptions = {},
): Promise<PassSummary> {
  const grace = graceAfter(signal, config.gracePeriodSec * 1000, () =>
    logger.info(
      { grace_sec: config.gracePeriodSec },
      'stopping: no new transfers; those under way may finish',
    ),
  );
  return engine
    .runPass({ ...pass, signal: grace.signal, ...(signal !== undefined && { stopping: signal }) })
    .finally(() => grace.dispose());
}

/** Waits for the poll interval, a watcher hint, or the abort signal, whichever comes first. */
function nextPass(ms: number, signal: AbortSignal | undefined, hint: { wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      hint.wake = undefined;
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    // A burst of events (a folder renamed in, then its files) becomes one early pass.
    hint.wake = () => setTimeout(done, 300);
  });
}

/**
 * The nas-sync service: a pass every pollIntervalSec (and soon after a new folder appears in outputs/)
 * until the signal aborts. Not configured or disabled: one warning, then it only waits for the signal.
 */
export async function startNasSync(options: NasSyncOptions): Promise<void> {
  const { logger, signal } = options;
  const loaded = await loadNasSyncConfig(options.root, options.env);
  if (loaded.state !== 'enabled') {
    logger.warn(loaded.reason);
    if (signal && !signal.aborted)
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return;
  }
  const { config } = loaded;
  const receipts = openAsRunner(options.root, options.logger);
  const engine = openEngine(config, options, receipts);
  const notifier = await openNotifier(options);
  const stateDir = resolvePaths(options.root).state;
  const refreshes = createRefreshScheduler({
    servers: config.mediaServers,
    stateDir,
    logger,
    env: options.env,
    signal,
  });
  const hint: { wake?: () => void } = {};
  let watcher: FSWatcher | undefined;
  if (config.watch) {
    try {
      watcher = watch(resolvePaths(options.root).outputs, () => hint.wake?.());
      watcher.on('error', () => watcher?.close());
    } catch {
      // No outputs/ yet, or a filesystem without events: the periodic listing does the work.
    }
  }
  logger.info(
    { routes: config.routes.length, backends: Object.keys(config.backends), file: loaded.file },
    'nas-sync started',
  );
  try {
    while (!signal?.aborted) {
      try {
        const summary = await passWithGrace(engine, config, { signal, logger });
        if (summary.delivered > 0 || summary.failed > 0)
          logger.info(
            {
              delivered: summary.delivered,
              failed: summary.failed,
              waiting: summary.waiting,
              already: summary.alreadyDelivered,
            },
            'sync pass done',
          );
        await afterPass(summary, config, { ...options, notifier, stateDir, refreshes });
      } catch (error) {
        // A pass that cannot even list outputs/ is logged and tried again next time; the service stays up.
        logger.error({ code: (error as { code?: string }).code }, `sync pass failed: ${errorMessage(error)}`);
      }
      if (signal?.aborted) break;
      await nextPass(config.pollIntervalSec * 1000, signal, hint);
    }
  } finally {
    watcher?.close();
    // Refreshes under way end with the signal; those still waiting for their interval are kept for the next start.
    await refreshes.close();
    await engine.close();
    receipts.releaseRunner();
    receipts.close();
    await notifier.close();
    logger.info('nas-sync stopped');
  }
}
