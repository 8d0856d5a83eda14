// What a dry run finds at each destination path before it says "would send": a file already there with the
// same content (the earlier version's sync program sent it, or receipts were lost) is taken as delivered by
// the real pass, never copied again, so the dry run says so too rather than listing it among the sends.
import { errorMessage } from '@imk/errors';
import { redactText } from '@imk/log';
import type { PlannedTransfer } from './plan.ts';
import { sentByEarlierProgram, type TransferOutcome } from './run-transfers.ts';
import type { SyncBackend } from './types.ts';
import { createLimiter } from './util/limiter.ts';

/** What a dry run found at a transfer's destination path. */
export type DestinationLook =
  /** Nothing there: the pass would send it. */
  | { found: 'nothing' }
  /**
   * The same content (size, then sha256): the pass would record it as delivered and copy nothing. `at`: the
   * path it was found at, when not the route's (where the earlier version's program put it, plan.ts).
   */
  | { found: 'same'; at?: string }
  /** Another file: the pass settles it by `nasSync.conflict` (rename, fail, replace). */
  | { found: 'different'; bytes: number }
  /** The destination could not be asked (unreachable, a login refused): the pass would find out. */
  | { found: 'unknown'; error: string };

/**
 * Looks (read only: stat, then hash when the size matches) at each due transfer's destination path, at most
 * `concurrency` at once. A backend that fails one look is not asked again in this dry run: its other
 * transfers say the same reason. Each outcome is the dry run's `skipped`, with what was found.
 */
export async function lookAtDestinations(
  due: readonly PlannedTransfer[],
  backendFor: (name: string) => SyncBackend,
  concurrency: number,
): Promise<TransferOutcome[]> {
  const limit = createLimiter(Math.max(1, concurrency));
  const down = new Map<string, string>();
  const look = async (transfer: PlannedTransfer): Promise<DestinationLook> => {
    const known = down.get(transfer.backend);
    if (known !== undefined) return { found: 'unknown', error: known };
    let backend: SyncBackend;
    let there: { bytes: number } | undefined;
    try {
      backend = backendFor(transfer.backend);
      there = await backend.stat(transfer.remotePath);
    } catch (error) {
      const message = redactText(errorMessage(error));
      down.set(transfer.backend, message);
      return { found: 'unknown', error: message };
    }
    if (there === undefined) {
      // The earlier version's program may have put it under its own name (plan.ts earlierPath).
      const earlier = await sentByEarlierProgram(backend, transfer);
      return earlier && transfer.earlierPath !== undefined
        ? { found: 'same', at: transfer.earlierPath }
        : { found: 'nothing' };
    }
    if (there.bytes !== transfer.bytes) return { found: 'different', bytes: there.bytes };
    try {
      // Read back only when the size matches, as the pass itself does before it would copy.
      const sha256 = await backend.hash(transfer.remotePath);
      return sha256 === transfer.sha256 ? { found: 'same' } : { found: 'different', bytes: there.bytes };
    } catch (error) {
      return { found: 'unknown', error: redactText(errorMessage(error)) };
    }
  };
  return Promise.all(
    due.map((transfer) =>
      limit(async () => ({
        transfer,
        status: 'skipped' as const,
        final: false,
        ms: 0,
        atDestination: await look(transfer),
      })),
    ),
  );
}
