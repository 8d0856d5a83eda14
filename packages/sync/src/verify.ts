import type { Logger } from '@imk/log';
import { errorMessage, isImkError } from '@imk/errors';
import { errorCode } from './errors.ts';
import type { Receipt, ReceiptStore } from './receipts.ts';
import type { SyncBackend } from './types.ts';
import { createLimiter } from './util/limiter.ts';

/** One delivered copy as `imk sync verify` found it. */
export interface VerifiedCopy {
  jobId: string;
  artifactPath: string;
  backend: string;
  remotePath: string;
  /** ok = same size and sha256 as delivered; missing / changed = recorded as failed (`imk sync retry` re-sends). */
  state: 'ok' | 'missing' | 'changed' | 'unchecked';
  /** What the destination holds instead, when changed; or why the copy could not be checked. */
  detail?: string;
  /**
   * Set for a copy of an earlier version of the artifact (the job was processed again since): when it is
   * gone or altered, nothing can send it again, so it is reported once and its receipt dropped.
   */
  earlierVersion?: true;
}

export interface VerifyReport {
  checked: number;
  ok: number;
  missing: number;
  changed: number;
  /** Copies on a destination that could not be reached or read (nothing is recorded for them). */
  unchecked: number;
  copies: VerifiedCopy[];
}

export interface VerifyInput {
  receipts: ReceiptStore;
  backendFor(name: string): SyncBackend;
  concurrency: number;
  logger: Logger;
  jobId?: string;
  signal?: AbortSignal;
  /** True for a receipt of a version the job's manifest no longer lists. @default every receipt is current */
  isEarlierVersion?(receipt: Receipt): boolean;
}

/**
 * Re-checks every delivered copy (all, or one job's) against its receipt: the size first, then the sha256
 * (by the backend's server-side hash where it has one, else by reading the copy back). A copy that is gone
 * or altered is recorded as failed (REMOTE_MISSING / REMOTE_CHANGED, final): `imk sync retry` re-sends it,
 * and the conflict policy keeps an altered copy from being overwritten.
 */
export async function verifyDeliveries(input: VerifyInput): Promise<VerifyReport> {
  const delivered = [...input.receipts.all().values()].filter(
    (receipt) =>
      receipt.status === 'delivered' &&
      receipt.replacedBy === undefined &&
      (input.jobId === undefined || receipt.jobId === input.jobId),
  );
  const limit = createLimiter(input.concurrency);
  const copies = await Promise.all(delivered.map((receipt) => limit(() => check(receipt))));

  async function check(receipt: Receipt): Promise<VerifiedCopy> {
    const copy: VerifiedCopy = {
      jobId: receipt.jobId,
      artifactPath: receipt.artifactPath,
      backend: receipt.backend,
      remotePath: receipt.remotePath,
      state: 'ok',
    };
    if (input.signal?.aborted) return { ...copy, state: 'unchecked', detail: 'stopped' };
    try {
      const backend = input.backendFor(receipt.backend);
      const found = await backend.stat(receipt.remotePath);
      if (!found) return record(receipt, { ...copy, state: 'missing' });
      if (found.bytes !== receipt.bytes)
        return record(receipt, {
          ...copy,
          state: 'changed',
          detail: `${found.bytes} bytes instead of ${receipt.bytes}`,
        });
      const sha256 = await backend.hash(receipt.remotePath);
      if (sha256 !== receipt.sha256)
        return record(receipt, {
          ...copy,
          state: 'changed',
          detail: `sha256 ${sha256} instead of ${receipt.sha256}`,
        });
      return copy;
    } catch (error) {
      // Something other than a regular file is there now (a folder, a FIFO): not the delivered copy.
      if (isImkError(error, 'REMOTE_CHANGED') || isImkError(error, 'FILE_NOT_REGULAR'))
        return record(receipt, { ...copy, state: 'changed', detail: 'not a regular file any more' });
      return { ...copy, state: 'unchecked', detail: `[${errorCode(error)}] ${errorMessage(error)}` };
    }
  }

  function record(receipt: Receipt, copy: VerifiedCopy): VerifiedCopy {
    const missing = copy.state === 'missing';
    if (input.isEarlierVersion?.(receipt)) {
      input.logger.warn(
        {
          job_id: receipt.jobId,
          artifact: receipt.artifactPath,
          backend: receipt.backend,
          remote_path: receipt.remotePath,
        },
        `the delivered copy of an earlier version of this artifact at ${receipt.backend}:${receipt.remotePath} ${missing ? 'is gone' : `was altered (${copy.detail ?? ''})`}; the job was processed again since, so it cannot be sent again and its receipt is dropped`,
      );
      input.receipts.forget(receipt);
      return { ...copy, earlierVersion: true };
    }
    const message = missing
      ? `the delivered copy at ${receipt.backend}:${receipt.remotePath} is gone; imk sync retry sends it again`
      : `the delivered copy at ${receipt.backend}:${receipt.remotePath} was altered (${copy.detail ?? ''}); imk sync retry sends it again (the altered file is kept: conflict policy)`;
    input.logger.warn(
      {
        job_id: receipt.jobId,
        artifact: receipt.artifactPath,
        backend: receipt.backend,
        remote_path: receipt.remotePath,
      },
      message,
    );
    input.receipts.recordCheck(receipt, {
      status: 'failed',
      final: true,
      errorCode: missing ? 'REMOTE_MISSING' : 'REMOTE_CHANGED',
      errorMessage: message,
      nextAttemptAt: undefined,
    });
    return copy;
  }

  const count = (state: VerifiedCopy['state']) => copies.filter((copy) => copy.state === state).length;
  return {
    checked: copies.length,
    ok: count('ok'),
    missing: count('missing'),
    changed: count('changed'),
    unchecked: count('unchecked'),
    copies,
  };
}
