import { createHash, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { ImkError } from '@imk/errors';
import { MAX_NAME_BYTES } from '@imk/fs-safe';
import { createBackend as defaultCreateBackend, type BackendOptions } from './backends/index.ts';
import { backendFingerprint, backendLocation } from './fingerprint.ts';
import { readJobManifest, scanCompleteJobs, type JobManifest } from './manifests.ts';
import {
  compileRoutes,
  receiptWriteOf,
  routeJob,
  transferState,
  type CompiledRoute,
  type PlannedTransfer,
  type RoutedJob,
} from './plan.ts';
import { createHostPaths, preparePlaces } from './places.ts';
import {
  isReleased,
  markReplaced,
  pathHolders,
  resendCheck,
  resolveDestinations,
  versionKey,
} from './conflicts.ts';
import { SYNC_DEFAULTS } from './defaults.ts';
import { createPlanFindings } from './plan-findings.ts';
import type { Receipt, ReceiptWrite } from './receipts.ts';
import { DEFAULT_RETRY_POLICY } from './retry-policy.ts';
import { DEFAULT_BACKEND } from './routes.ts';
import { createLimiter } from './util/limiter.ts';
import { lookAtDestinations } from './dry-run-look.ts';
import { runTransfers, type TransferOutcome } from './run-transfers.ts';
import type { BackendContext, SyncBackend } from './types.ts';
import { verifyDeliveries } from './verify.ts';

import type { SyncEngine, SyncEngineOptions, SyncPlan } from './engine-types.ts';

export type { PassSummary, RunPassOptions, SyncEngine, SyncEngineOptions, SyncPlan } from './engine-types.ts';

export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const logger = options.logger;
  const now = options.now ?? Date.now;
  const concurrency = options.concurrency ?? SYNC_DEFAULTS.concurrency;
  const shareTimeoutMs = (options.shareTimeoutSec ?? SYNC_DEFAULTS.shareTimeoutSec) * 1000;
  const conflictPolicy = options.conflict ?? SYNC_DEFAULTS.conflict;
  const backendOptions: Record<string, BackendOptions> = {
    [DEFAULT_BACKEND]: { type: 'local' },
    ...options.backends,
  };
  const compiled = compileRoutes(options.routes, options.remoteRoots);
  if (compiled.problems.length > 0)
    throw new ImkError(
      'CONFIG_INVALID',
      `invalid routes: ${compiled.problems.map((p) => `routes.${p.index}.to: ${p.message}`).join('; ')}`,
    );
  for (const route of compiled.routes)
    if (!(route.route.backend in backendOptions))
      throw new ImkError(
        'CONFIG_INVALID',
        `${route.name} names backend "${route.route.backend}", which is not under backends`,
      );
  const routes: CompiledRoute[] = compiled.routes;
  const fingerprints = new Map(
    Object.entries(backendOptions).map(
      ([name, opts]) => [name, backendFingerprint(opts, options.env)] as const,
    ),
  );
  const locations = new Map(
    Object.entries(backendOptions).map(([name, opts]) => [name, backendLocation(opts)] as const),
  );
  const jobCache = new Map<
    string,
    { version: string; manifest?: JobManifest; routed?: RoutedJob; problem?: string }
  >();
  const findings = createPlanFindings({
    logger,
    receipts: options.receipts,
    unrouted: options.unrouted ?? SYNC_DEFAULTS.unrouted,
    writeOf,
  });
  // One writer per receipts database (a state folder has one runner at a time, by its lock): stable across
  // restarts, so a retry writes over its own partial, and different for another state folder's nas-sync.
  const tempOwner = createHash('sha256')
    .update(options.receipts ? resolve(options.receipts.file) : randomUUID())
    .digest('hex')
    .slice(0, 8);
  let live = new Map<string, SyncBackend>();
  // Transfers at once over all backends: each transfer takes one, a batching backend (rsync) one per run.
  const slots = createLimiter(concurrency);

  async function plan(planOptions: { jobId?: string; places?: boolean } = {}): Promise<SyncPlan> {
    const { jobs: listed, notListed, replacing } = await scanCompleteJobs(options.outputsDir);
    const jobs = listed.filter((job) => !planOptions.jobId || job.jobId === planOptions.jobId);
    const receipts = options.receipts?.all() ?? new Map<string, Receipt>();
    const result: SyncPlan = {
      transfers: [],
      unrouted: [],
      skipped: [],
      problems: [],
      invalidManifests: [],
      leftOut: [],
      notListed,
      jobs: jobs.length,
      holders: new Map(),
      places: { folderKey: () => undefined },
      released: [],
    };
    const at = now();
    const planned: PlannedTransfer[] = [];
    for (const job of jobs) {
      let cached = jobCache.get(job.jobId);
      if (cached?.version !== job.version) {
        const read = await readJobManifest(job);
        cached = read.ok
          ? {
              version: job.version,
              manifest: read.manifest,
              routed: await routeJob({
                manifest: read.manifest,
                routes,
                receipts: options.receipts,
                nameBytesOf,
              }),
            }
          : { version: job.version, problem: read.problem };
        jobCache.set(job.jobId, cached);
      }
      if (cached.problem !== undefined) {
        result.invalidManifests.push({ jobId: job.jobId, problem: cached.problem });
        continue;
      }
      for (const problem of cached.manifest?.leftOut ?? [])
        result.leftOut.push({ jobId: job.jobId, problem });
      const routed = cached.routed;
      if (!routed) continue;
      for (const transfer of routed.transfers)
        planned.push({ ...transfer, ...transferState(transfer, receipts, fingerprints, at, locations) });
      result.unrouted.push(...routed.unrouted);
      result.skipped.push(...routed.skipped);
      result.problems.push(...routed.problems);
    }
    const invalid = new Set(result.invalidManifests.map((job) => job.jobId));
    const routedHere = jobs.filter((job) => !invalid.has(job.jobId));
    // A job a worker stopped between its two renames is still a job (its outputs wait in its partial
    // folder): the paths of its copies stay held, as for a job listed but not read.
    const inOutputs = [...listed, ...replacing.map((jobId) => ({ jobId }))];
    const canResend = resendCheck(inOutputs, routedHere, planned, result.problems);
    // One physical folder is one destination, whichever backend or spelling names it.
    if (planOptions.places === true || planned.some((transfer) => transfer.state === 'due'))
      result.places = await preparePlaces([...planned, ...receipts.values()], backendOptions, hostPathOf, {
        env: options.env,
        timeoutMs: shareTimeoutMs,
      });
    result.holders = pathHolders(receipts.values(), canResend, result.places);
    result.released = [...receipts.values()].filter((receipt) => isReleased(receipt, canResend));
    // Every destination path is checked against this pass and every receipt before anything is copied.
    result.transfers = resolveDestinations(
      planned,
      receipts.values(),
      conflictPolicy,
      nameBytesOf,
      canResend,
      result.places,
    ).map((decision) => ({
      ...decision.transfer,
      ...(decision.conflict && { conflict: decision.conflict }),
    }));
    return result;
  }

  function backendFor(name: string): SyncBackend {
    let backend = live.get(name);
    if (!backend) {
      const opts = backendOptions[name];
      if (!opts) throw new ImkError('CONFIG_INVALID', `no backend named "${name}"`);
      const context: BackendContext = {
        name,
        logger: logger.child({ component: 'sync-backend', backend: name }),
        env: options.env,
        concurrency: concurrencyOf(name),
        slots,
        tempOwner,
        shareTimeoutMs,
      };
      backend = (options.createBackend ?? defaultCreateBackend)(opts, context);
      live.set(name, backend);
    }
    return backend;
  }

  // Where a backend's folder is on this host, asked of the backend once per folder (places.ts).
  const hostPathOf = createHostPaths(backendOptions, backendFor);

  function nameBytesOf(name: string): number {
    return backendOptions[name]?.maxNameBytes ?? MAX_NAME_BYTES;
  }

  function concurrencyOf(name: string): number {
    return Math.min(concurrency, backendOptions[name]?.concurrency ?? concurrency);
  }

  function writeOf(transfer: PlannedTransfer): ReceiptWrite {
    return receiptWriteOf(
      transfer,
      fingerprints.get(transfer.backend) ?? '',
      locations.get(transfer.backend),
    );
  }

  return {
    plan,

    async runPass(passOptions = {}) {
      const dryRun = passOptions.dryRun ?? false;
      if (!dryRun) options.receipts?.adoptLocations(locations);
      const syncPlan = await plan({ jobId: passOptions.jobId });
      findings.record(syncPlan, dryRun);
      const due = syncPlan.transfers.filter((transfer) => transfer.state === 'due');
      let outcomes: TransferOutcome[] = [];
      if (!dryRun && due.length > 0) {
        if (!options.receipts)
          throw new ImkError('RECEIPTS_MISSING', 'a sync pass needs its receipts database');
        outcomes = await runTransfers({
          transfers: due,
          backendFor,
          concurrencyOf,
          fingerprintOf: (name) => fingerprints.get(name) ?? '',
          locationOf: (name) => locations.get(name),
          receipts: options.receipts,
          retry: options.retry ?? DEFAULT_RETRY_POLICY,
          concurrency,
          slots,
          logger: logger.child({ component: 'sync-transfer' }),
          signal: passOptions.signal,
          ...(passOptions.stopping !== undefined && { stopping: passOptions.stopping }),
          now,
          conflict: conflictPolicy,
          nameBytesOf,
          holders: syncPlan.holders,
          places: syncPlan.places,
        });
        markReplaced(options.receipts, outcomes, syncPlan.places);
      }
      // A dry run copies nothing, but looks at each destination path (read only), as the pass would first.
      const looked = dryRun ? await lookAtDestinations(due, backendFor, concurrency) : [];
      // Connections are not kept between passes: a NAS may drop idle sessions, and passes are seconds apart.
      // (A plan may have started one too, to find where a folder is: rclone.)
      await closeBackends();
      const count = (state: string) =>
        syncPlan.transfers.filter((transfer) => transfer.state === state).length;
      const failedNow = outcomes.filter((outcome) => outcome.status === 'failed');
      return {
        jobs: syncPlan.jobs,
        transfers: syncPlan.transfers.length,
        alreadyDelivered: count('delivered'),
        delivered: outcomes.filter((outcome) => outcome.status === 'delivered').length,
        failed: failedNow.length,
        failedFinal: count('failed') + failedNow.filter((outcome) => outcome.final).length,
        waiting: count('waiting'),
        unrouted: syncPlan.unrouted.length,
        unroutedFailed:
          (options.unrouted ?? SYNC_DEFAULTS.unrouted) === 'fail' ? syncPlan.unrouted.length : 0,
        skipped: syncPlan.skipped.length,
        invalidManifests: syncPlan.invalidManifests.length,
        leftOut: syncPlan.leftOut.length,
        notListed: syncPlan.notListed.length,
        unsendable: syncPlan.problems.length,
        outcomes: dryRun ? looked : outcomes,
        dryRun,
        ...(dryRun && { conflict: conflictPolicy }),
      };
    },

    async verify(verifyOptions = {}) {
      if (!options.receipts) throw new ImkError('RECEIPTS_MISSING', 'verify needs the receipts database');
      // The versions the manifests list now, by (job, artifact, destination): any other was superseded.
      const current = new Map<string, string>();
      // Without the manifests (outputs/ unreadable), every receipt counts as current: retry may re-send it.
      const planned = await plan({ jobId: verifyOptions.jobId }).catch(() => undefined);
      for (const transfer of planned?.transfers ?? [])
        current.set(
          versionKey(transfer.jobId, transfer.artifact.path, transfer.destination),
          transfer.sha256,
        );
      try {
        return await verifyDeliveries({
          isEarlierVersion: (receipt) => {
            const sha256 = current.get(versionKey(receipt.jobId, receipt.artifactPath, receipt.destination));
            return sha256 !== undefined && sha256 !== receipt.sha256;
          },
          receipts: options.receipts,
          backendFor,
          concurrency,
          logger: logger.child({ component: 'sync-verify' }),
          ...verifyOptions,
        });
      } finally {
        await closeBackends();
      }
    },

    close: closeBackends,
  };

  async function closeBackends(): Promise<void> {
    const current = live;
    live = new Map();
    await Promise.all([...current.values()].map((backend) => backend.close().catch(() => undefined)));
  }
}
