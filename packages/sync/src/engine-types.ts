// The sync engine's public shapes: its options, a plan, a pass's summary, the engine itself.
import type { Logger } from '@imk/log';
import type { BackendOptions } from './backends/index.ts';
import type { ConflictPolicy } from './conflicts.ts';
import type { DestinationPlaces } from './places.ts';
import type { PlannedTransfer, RoutingProblem, SkippedArtifact, UnroutedArtifact } from './plan.ts';
import type { Receipt, ReceiptStore } from './receipts.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { Route } from './routes.ts';
import type { TransferOutcome } from './run-transfers.ts';
import type { BackendContext, SyncBackend } from './types.ts';
import type { VerifyReport } from './verify.ts';

export interface SyncEngineOptions {
  outputsDir: string;
  /** Receipts; absent only for a dry run on a host that never synced. */
  receipts: ReceiptStore | undefined;
  routes: readonly Route[];
  remoteRoots: Readonly<Record<string, string | undefined>>;
  backends: Readonly<Record<string, BackendOptions>>;
  /** An artifact no route matches. @default SYNC_DEFAULTS.unrouted */
  unrouted?: 'warn' | 'fail';
  /** What a destination path that holds a different file gets. @default SYNC_DEFAULTS.conflict */
  conflict?: ConflictPolicy;
  /** Transfers at once, over all backends. @default SYNC_DEFAULTS.concurrency */
  concurrency?: number;
  /**
   * Seconds a destination on this host's file system may go without answering (a folder's `stat`, a copy
   * making no progress) before it is unreachable for the pass. @default SYNC_DEFAULTS.shareTimeoutSec
   */
  shareTimeoutSec?: number;
  retry?: RetryPolicy;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** For tests: how backends are made. */
  createBackend?: (options: BackendOptions, context: BackendContext) => SyncBackend;
  /** @default Date.now */
  now?: () => number;
}

export interface SyncPlan {
  transfers: PlannedTransfer[];
  unrouted: UnroutedArtifact[];
  /** Artifacts a `skip: true` route took: sent nowhere, on purpose, and not unrouted. */
  skipped: SkippedArtifact[];
  problems: RoutingProblem[];
  invalidManifests: { jobId: string; problem: string }[];
  /** Artifacts left out of a readable manifest (OutputManifest.leftOut): never synced, said in the log. */
  leftOut: { jobId: string; problem: string }[];
  /** Folders of outputs/ that cannot be listed (a name not UTF-8 or with a control character), one line each: never synced. */
  notListed: string[];
  jobs: number;
  /** Who holds each destination path (by destinationKey): conflicts.ts holdsPath, knowing which sources are left. */
  holders: Map<string, Receipt>;
  /** Where each folder of the plan physically is: the third argument of destinationKey for this plan's keys. */
  places: DestinationPlaces;
  /**
   * Copies `imk sync verify` found gone that can never be sent again (their job's outputs were removed, or
   * list another version or route now): their paths are free for other artifacts.
   */
  released: Receipt[];
}

export interface PassSummary {
  jobs: number;
  transfers: number;
  alreadyDelivered: number;
  delivered: number;
  /** Failed in this pass, final or not (the final ones are in failedFinal too). */
  failed: number;
  /** Failed for good (need a person or `imk sync retry`): in this pass, at planning time, or in earlier passes. */
  failedFinal: number;
  /** Waiting for their backoff. */
  waiting: number;
  unrouted: number;
  /** Unrouted artifacts under `unrouted: fail`: each is a failure, recorded as such (0 under `warn`). */
  unroutedFailed: number;
  /** Artifacts a `skip: true` route took (sent nowhere, on purpose). */
  skipped: number;
  invalidManifests: number;
  /** Artifacts left out of their (earlier-version) manifest because their path or kind is unusable. */
  leftOut: number;
  /** Folders of outputs/ not synced because they cannot be listed (a name that is not UTF-8; the log says which). */
  notListed: number;
  /**
   * Artifacts a route takes that cannot be sent (missing or unreadable in outputs/, a destination name that
   * cannot be made): `failed` in `imk sync status`, with the reason; nothing was tried.
   */
  unsendable: number;
  outcomes: TransferOutcome[];
  dryRun: boolean;
  /** A dry run's `nasSync.conflict`: what a different file found at a destination path would get. */
  conflict?: ConflictPolicy;
}

export interface RunPassOptions {
  /** Plan only: nothing is copied and no receipt is written. */
  dryRun?: boolean;
  /** Only this job. */
  jobId?: string;
  /** Stops the transfers under way (the tools they run with them); one stopped is sent again at the next pass. */
  signal?: AbortSignal;
  /**
   * The service is stopping: no transfer starts any more, and those under way go on until `signal` aborts
   * (the service's grace period).
   */
  stopping?: AbortSignal;
}

/** The sync engine: plans from manifests, routes and receipts, then delivers what is due. */
export interface SyncEngine {
  /**
   * `places`: find where every folder is (places.ts) also when nothing is due (imk sync status); a plan with
   * nothing due has no use for it otherwise, and skips the file-system look per folder.
   */
  plan(options?: { jobId?: string; places?: boolean }): Promise<SyncPlan>;
  runPass(options?: RunPassOptions): Promise<PassSummary>;
  /** Re-checks delivered copies (size, then sha256); gone or altered ones are recorded for `imk sync retry`. */
  verify(options?: { jobId?: string; signal?: AbortSignal }): Promise<VerifyReport>;
  /** Ends backend connections. */
  close(): Promise<void>;
}
