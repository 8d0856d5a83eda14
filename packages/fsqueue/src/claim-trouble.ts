import { join } from 'node:path';
import { errorMessage, isInputFault } from '@imk/errors';
import { capText } from '@imk/fs-safe';
import { delayKey, writeBundleState } from './bundle-state.ts';
import { returnToReady } from './claim.ts';
import { writeControlFile } from './moves.ts';
import { rejectFolder } from './rejected.ts';
import type { QueueContext } from './context.ts';
import { archiveFolder } from './moves.ts';
import { ERROR_FILE, FAILED_DIR } from './names.ts';
import { quarantineEntry } from './quarantine.ts';
import type { ReadyIndex } from './ready-index.ts';

/** A job whose claim failed unexpectedly waits this long before it is handed out again. */
export const CLAIM_ERROR_DELAY_MS = 5_000;

/**
 * Moves entries that look like bundles but cannot be claimed (bad name, a link, not a folder) to rejected/
 * with the reason. One that cannot be moved is said once in the log (`stuck`) and tried again next listing.
 */
export async function rejectInvalidEntries(
  ctx: QueueContext,
  entries: Map<string, string>,
  stuck: Set<string>,
  path?: string,
): Promise<void> {
  for (const [name, problem] of entries) {
    try {
      await quarantineEntry(ctx, name, problem, path);
      stuck.delete(name);
    } catch (error) {
      if (!stuck.has(name))
        ctx.logger?.error(
          { entry: capText(name, 300), problem, error: errorMessage(error) },
          'cannot move an invalid queue entry to rejected/',
        );
      stuck.add(name);
    }
  }
}

export interface HeldFolder {
  jobId: string;
  dir: string;
  token: string;
  attempt: number;
}

/**
 * Something unexpected while claiming. A condition of the bundle itself (isInputFault: no permission, a
 * FIFO, a link out, too deep…) rejects it with the reason; anything else counts as an
 * attempt and waits out a delay, so such a job is never handed out again at once (no loop), and is
 * failed after maxAttempts.
 */
export async function settleClaimError(
  ctx: QueueContext,
  index: ReadyIndex,
  held: HeldFolder,
  error: unknown,
): Promise<void> {
  const { jobId, dir, token, attempt } = held;
  const message = capText(errorMessage(error));
  const log = (what: string) => (cause: unknown) =>
    ctx.logger?.error({ job_id: jobId, error: errorMessage(cause) }, what);
  if (isInputFault(error)) {
    await rejectFolder(ctx, dir, jobId, token, [{ path: '(bundle)', message }], attempt).catch(
      log('could not reject the bundle'),
    );
    return;
  }
  ctx.logger?.error(
    { job_id: jobId, error: message, attempt },
    'claim failed; the job waits and is tried again',
  );
  const lastError = { stage: 'claim', message, attempt };
  if (attempt >= ctx.maxAttempts) {
    try {
      await writeBundleState(dir, { attempts: attempt, last_error: lastError, token });
      await writeControlFile(dir, ERROR_FILE, {
        job_id: jobId,
        status: 'failed',
        stage: 'claim',
        message,
        retryable: true,
        attempt,
        max_attempts: ctx.maxAttempts,
        consumer: ctx.consumerId,
        token,
        time: new Date().toISOString(),
      });
      await archiveFolder(dir, join(ctx.queueDir, FAILED_DIR), jobId, token, ERROR_FILE);
    } catch (cause) {
      log('could not archive the job as failed')(cause);
    }
    return;
  }
  const state = { attempts: attempt, last_error: lastError, token, retry_delay_ms: CLAIM_ERROR_DELAY_MS };
  index.noteRetryDelay(jobId, delayKey(state), CLAIM_ERROR_DELAY_MS);
  await returnToReady(ctx, dir, jobId, state).catch(log('could not return the job to ready'));
}
