import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '@imk/errors';
import { redactText, type Logger } from '@imk/log';
import { errorCode, isDestinationDown, isRetryable } from './errors.ts';
import { destinationKey, type ConflictPolicy } from './conflicts.ts';
import { SYNC_DEFAULTS } from './defaults.ts';
import type { DestinationLook } from './dry-run-look.ts';
import type { DestinationPlaces } from './places.ts';
import { interleave, receiptWriteOf, type PlannedTransfer } from './plan.ts';
import { assertInsideJob } from './artifact-inside-job.ts';
import { lookAtJob, publishedAgainError } from './published-again.ts';
import type { ReceiptStore } from './receipts.ts';
import { backoffMs, type RetryPolicy } from './retry-policy.ts';
import { createSettledPut } from './settled-put.ts';
import type { SyncBackend } from './types.ts';
import { createLimiter, type Limiter } from './util/limiter.ts';

export interface TransferOutcome {
  transfer: PlannedTransfer;
  status: 'delivered' | 'failed' | 'skipped';
  final: boolean;
  errorCode?: string;
  error?: string;
  verifiedBy?: string;
  /** Delivered without copying: the destination already held this content (another program sent it, or a pass whose receipts were lost). */
  alreadyThere?: true;
  /** A dry run's outcome: what it found at the destination path (nothing, the same content, another file). */
  atDestination?: DestinationLook;
  ms: number;
}

export interface RunTransfersInput {
  transfers: PlannedTransfer[];
  /** Gets (creating on first use) the backend of a name; throws when its options or secrets are wrong. */
  backendFor(name: string): SyncBackend;
  concurrencyOf(name: string): number;
  fingerprintOf(name: string): string;
  /** Where a backend puts files (fingerprint.ts backendLocation), recorded in its receipts. */
  locationOf?(name: string): string | undefined;
  receipts: ReceiptStore;
  retry: RetryPolicy;
  concurrency: number;
  /** The limiter of `concurrency` shared with the backends (a batching backend takes one per run). */
  slots?: Limiter;
  logger: Logger;
  /** Stops the transfers under way: each one stopped is said and left due for the next pass (no receipt). */
  signal?: AbortSignal;
  /** No transfer starts (or tries again) once this aborts; those under way go on until `signal` aborts. */
  stopping?: AbortSignal;
  now(): number;
  /** What a destination holding a different file gets. @default SYNC_DEFAULTS.conflict */
  conflict?: ConflictPolicy;
  /**
   * Who holds each path (by destinationKey), as the plan found (SyncPlan.holders): a renamed copy never takes
   * a held path, and a file at the destination under a name one with ours is ours only when a receipt holds
   * it under that spelling (or one that differs only by Unicode normalisation).
   */
  holders?: ReadonlyMap<string, { remotePath: string }>;
  /** Where each folder physically is (SyncPlan.places): two backends naming one folder are one destination. */
  places?: DestinationPlaces;
  /** The longest name a backend stores (its maxNameBytes). @default MAX_NAME_BYTES */
  nameBytesOf?(name: string): number;
}

/**
 * Whether the earlier version's sync program already put this very content where it put the file (its
 * own name, see plan.ts earlierPath): size first, then the sha256 read back. Not for a copy whose receipt
 * already gave it a path (renamed, replaced), which stays there.
 */
export async function sentByEarlierProgram(
  backend: SyncBackend,
  transfer: PlannedTransfer,
): Promise<boolean> {
  if (transfer.earlierPath === undefined) return false;
  if (transfer.conflict !== undefined && transfer.conflict.resolution !== 'renamed') return false;
  if (transfer.receipt?.status === 'delivered') return false;
  const path = transfer.earlierPath;
  // Only a look: a name the destination refuses (an SMB share and ":"), or cannot read, is not there, and
  // the put then says what is wrong with the destination itself, if anything.
  const there = await backend.stat(path).catch(() => undefined);
  if (there?.bytes !== transfer.bytes) return false;
  return (await backend.hash(path).catch(() => undefined)) === transfer.sha256;
}

/**
 * Runs due transfers with the concurrency limits, retries passing faults with backoff inside the pass, and
 * writes a receipt for every outcome. A destination that is down or refuses the login is skipped for the rest
 * of the pass (its transfers wait for their backoff); every other destination goes on.
 */
export async function runTransfers(input: RunTransfersInput): Promise<TransferOutcome[]> {
  const globalLimit = input.slots ?? createLimiter(input.concurrency);
  const backendLimits = new Map<string, Limiter>();
  const down = new Map<string, Error>();
  const outcomes: TransferOutcome[] = [];
  const keyOf = (backend: string, path: string): string => destinationKey(backend, path, input.places);
  const putSettled = createSettledPut({
    transfers: input.transfers,
    policy: input.conflict ?? SYNC_DEFAULTS.conflict,
    holders: input.holders,
    keyOf,
    nameBytesOf: (name) => input.nameBytesOf?.(name),
    signal: input.signal,
  });
  // Two transfers onto one path (the same content from two jobs) run one after the other, never racing.
  const pathChains = new Map<string, Promise<void>>();
  const onePerPath = (transfer: PlannedTransfer, run: () => Promise<void>): Promise<void> => {
    const key = keyOf(transfer.backend, transfer.remotePath);
    const next = (pathChains.get(key) ?? Promise.resolve()).then(run, run);
    pathChains.set(key, next);
    return next;
  };

  const batches = new Map<string, number>();
  /** Puts the backend carries in one run (rsync: many); 1 when it sends each on its own, or cannot start. */
  const batchOf = (name: string): number => {
    let batch = batches.get(name);
    if (batch === undefined) {
      try {
        batch = Math.max(1, input.backendFor(name).batch ?? 1);
      } catch {
        batch = 1; // its first attempt records why
      }
      batches.set(name, batch);
    }
    return batch;
  };
  const limitOf = (name: string): Limiter => {
    let limit = backendLimits.get(name);
    if (!limit) backendLimits.set(name, (limit = createLimiter(input.concurrencyOf(name) * batchOf(name))));
    return limit;
  };

  const record = (transfer: PlannedTransfer, outcome: TransferOutcome): void => {
    const write = {
      ...receiptWriteOf(
        transfer,
        input.fingerprintOf(transfer.backend),
        input.locationOf?.(transfer.backend),
      ),
      // Numbered because of a name-alike no receipt wrote: which one, for imk sync status.
      ...(transfer.conflict?.holder.jobId === '' && { foundAs: transfer.conflict.holder.remotePath }),
    };
    const previous = transfer.receipt?.sha256 === transfer.sha256 ? transfer.receipt.attempts : 0;
    if (outcome.status === 'delivered')
      input.receipts.record(write, { status: 'delivered', verifiedBy: outcome.verifiedBy ?? '' }, previous);
    else if (outcome.status === 'failed')
      input.receipts.record(
        write,
        {
          status: 'failed',
          final: outcome.final,
          errorCode: outcome.errorCode ?? 'TRANSFER_FAILED',
          errorMessage: outcome.error ?? '',
          nextAttemptAt: outcome.final ? undefined : input.now() + backoffMs(input.retry, previous + 1),
        },
        previous,
      );
    outcomes.push(outcome);
  };

  const failed = (transfer: PlannedTransfer, error: unknown, started: number): TransferOutcome => ({
    transfer,
    status: 'failed',
    final: !isRetryable(error),
    errorCode: errorCode(error),
    // Kept in the receipts, shown by imk sync status and the dashboard, sent in sync.failed notifications:
    // a backend's message may hold a remote's credentials (rclone's :sftp,pass=…, a signed S3 URL).
    error: redactText(errorMessage(error)),
    ms: Math.round(performance.now() - started),
  });

  /** Tells a batching backend a put is on its way; the function returned says it arrived (once). */
  function announce(backend: SyncBackend): () => void {
    if (!backend.coming) return () => undefined;
    backend.coming(1);
    let arrived = false;
    return () => {
      if (arrived) return;
      arrived = true;
      backend.coming?.(-1);
    };
  }

  async function attempt(transfer: PlannedTransfer): Promise<void> {
    const started = performance.now();
    const log = input.logger.child({
      job_id: transfer.jobId,
      artifact: transfer.artifact.path,
      backend: transfer.backend,
    });
    const known = down.get(transfer.backend);
    if (known) return record(transfer, failed(transfer, known, started));
    if (input.signal?.aborted || input.stopping?.aborted) return;
    // The share its folder is on did not answer this pass's look (places.ts): not tried, it would hang too.
    const away = input.places?.unreachable?.(transfer.backend, transfer.remotePath);
    for (let attemptNo = 1; ; attemptNo++) {
      const job = await lookAtJob(transfer);
      try {
        if (away) throw away;
        await assertInsideJob(transfer);
        const backend = input.backendFor(transfer.backend);
        if (await sentByEarlierProgram(backend, transfer)) {
          const found = { ...transfer, remotePath: transfer.earlierPath ?? transfer.remotePath };
          const ms = Math.round(performance.now() - started);
          log.info(
            { remote_path: found.remotePath, ms },
            'already at the destination with the same content, under the name the earlier version gave it',
          );
          return record(found, {
            transfer: found,
            status: 'delivered',
            final: false,
            verifiedBy: 'read-back',
            alreadyThere: true,
            ms,
          });
        }
        const arriving = announce(backend);
        const result = await putSettled(backend, transfer, log, arriving).finally(arriving);
        if (result.alreadyThere) {
          const ms = Math.round(performance.now() - started);
          log.info(
            { remote_path: transfer.remotePath, ms },
            'already at the destination with the same content',
          );
          return record(transfer, {
            transfer,
            status: 'delivered',
            final: false,
            verifiedBy: result.verifiedBy,
            alreadyThere: true,
            ms,
          });
        }
        const ms = Math.round(performance.now() - started);
        log.info(
          { remote_path: transfer.remotePath, bytes: transfer.bytes, verified_by: result.verifiedBy, ms },
          'delivered',
        );
        return record(transfer, {
          transfer,
          status: 'delivered',
          final: false,
          verifiedBy: result.verifiedBy,
          ms,
        });
      } catch (error) {
        // Stopped (the grace period over), or failed once the stop came: not told from a tool the Ctrl-C reached
        // as it started (still in imk's group; rsync exits 20). No receipt, no attempt: due at the next pass.
        if (input.signal?.aborted || input.stopping?.aborted)
          return stoppedByShutdown(transfer, error, log, started);
        const outcome = failed(transfer, (await publishedAgainError(transfer, job, error)) ?? error, started);
        if (isDestinationDown(error)) {
          // Said once per destination and pass; its other transfers are recorded without trying.
          if (!down.has(transfer.backend)) {
            down.set(transfer.backend, error as Error);
            if (outcome.final)
              log.error({ code: outcome.errorCode }, `destination failed for good: ${outcome.error ?? ''}`);
            else
              log.warn(
                { code: outcome.errorCode },
                `destination unreachable, will retry later: ${outcome.error ?? ''}`,
              );
          }
          return record(transfer, outcome);
        }
        if (outcome.final || attemptNo >= input.retry.attemptsPerPass) {
          if (outcome.final) log.error({ code: outcome.errorCode }, outcome.error ?? 'transfer failed');
          else
            log.warn(
              { code: outcome.errorCode, attempts: attemptNo },
              `transfer failed, will retry later: ${outcome.error ?? ''}`,
            );
          return record(transfer, outcome);
        }
        log.warn(
          { code: outcome.errorCode, attempt: attemptNo },
          `transfer failed, retrying: ${outcome.error ?? ''}`,
        );
        const waits = [input.signal, input.stopping].filter((signal) => signal !== undefined);
        await sleep(backoffMs(input.retry, attemptNo), undefined, { signal: AbortSignal.any(waits) }).catch(
          () => undefined,
        );
        // The service stopped meanwhile: not tried again now (it failed, for its own reason, this once).
        if (input.stopping?.aborted && !input.signal?.aborted) return record(transfer, outcome);
      }
    }
  }

  function stoppedByShutdown(transfer: PlannedTransfer, cause: unknown, log: Logger, started: number): void {
    const error = input.signal?.aborted
      ? 'stopped by the shutdown before it finished; it is sent again at the next pass'
      : `failed while the service was stopping (${redactText(errorMessage(cause))}); not counted (the Ctrl-C may have ended its tool): it is sent again at the next pass`;
    log.warn({ remote_path: transfer.remotePath }, error);
    outcomes.push({
      transfer,
      status: 'skipped',
      final: false,
      errorCode: 'ABORTED',
      error,
      ms: Math.round(performance.now() - started),
    });
  }

  await Promise.all(
    interleave(input.transfers).map((transfer) =>
      onePerPath(transfer, () =>
        limitOf(transfer.backend)(() =>
          // A batching backend's files all go to it at once: its runs, not its files, take overall slots.
          batchOf(transfer.backend) > 1 ? attempt(transfer) : globalLimit(() => attempt(transfer)),
        ),
      ),
    ),
  );
  return outcomes;
}
