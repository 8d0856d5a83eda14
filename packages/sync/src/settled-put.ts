import { posix } from 'node:path';
import { isImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { numberedPath, type ConflictPolicy } from './conflicts.ts';
import { SAME_NAME, alikeTaken, createNameAlikes, destinationConflict, foundAsOf } from './name-alikes.ts';
import type { PlannedTransfer } from './plan.ts';
import type { PutResult, SyncBackend } from './types.ts';

const NO_HOLDER = { jobId: '', artifactPath: '', sha256: '' };

// Found by the destination's own hash of the file (backend.hash: a server-side hash, or read back).
const foundThere = (transfer: PlannedTransfer): PutResult => ({
  bytes: transfer.bytes,
  verifiedBy: 'remote-hash',
  alreadyThere: true,
});

/** How many numbered names (`Title (2).m4a` … ) a renamed copy tries before giving up. */
const MAX_NUMBERED = 99;

export interface SettledPutOptions {
  /** The pass's transfers: a renamed copy never takes a path one of them (or a holder) goes to. */
  transfers: readonly PlannedTransfer[];
  /** What a destination holding a different file gets (RunTransfersInput.conflict). */
  policy: ConflictPolicy;
  /** Who holds each path, by destinationKey (RunTransfersInput.holders). */
  holders?: ReadonlyMap<string, { remotePath: string }> | undefined;
  /** A path's destinationKey, by the pass's places. */
  keyOf: (backend: string, path: string) => string;
  /** The longest name a backend stores (RunTransfersInput.nameBytesOf); undefined: MAX_NAME_BYTES. */
  nameBytesOf: (name: string) => number | undefined;
  /** Stops the put under way (RunTransfersInput.signal). */
  signal?: AbortSignal | undefined;
}

/** True when `path` already holds this transfer's content (size, then sha256). */
async function holdsSame(backend: SyncBackend, transfer: PlannedTransfer, path: string): Promise<boolean> {
  const found = await backend.stat(path);
  return found?.bytes === transfer.bytes && (await backend.hash(path)) === transfer.sha256;
}

/** Records that the copy was found at `path` (the route's path, or a numbered one beside it). */
function settleAt(transfer: PlannedTransfer, original: string, path: string): void {
  transfer.remotePath = path;
  if (path === original) delete transfer.conflict;
  else transfer.conflict ??= { holder: NO_HOLDER, path: original, resolution: 'renamed' };
}

/**
 * The put of one pass (runTransfers) that settles, by the policy, a different file found at the destination
 * (see putSettled below); a numbered name given to one copy of the pass is given to no other.
 */
export function createSettledPut(options: SettledPutOptions) {
  const { policy, keyOf } = options;
  const claimed = new Set([
    ...(options.holders?.keys() ?? []),
    ...options.transfers.map((t) => keyOf(t.backend, t.remotePath)),
  ]);
  const numbered = (transfer: PlannedTransfer, original: string, n: number): string =>
    n === 1 ? original : numberedPath(original, n, options.nameBytesOf(transfer.backend));
  // The backend checks at the destination; only an explicit `replace` lets it overwrite a different file,
  // and only at the path the plan chose (a numbered name is never a copy of ours to replace).
  const existingAt = (n: number) => (policy === 'replace' && n === 1 ? 'replace' : 'keep');
  const alikesOf = createNameAlikes((backend, path) => {
    const held = options.holders?.get(keyOf(backend, path))?.remotePath;
    // Ours as our receipt spells it, or as a file system that normalises names (macOS, some SMB servers)
    // keeps it; a name that differs by case is another file's (file systems keep the case they are given).
    // The name only: the receipt may have written it through another backend that names this folder.
    return (
      held !== undefined && posix.basename(held).normalize('NFC') === posix.basename(path).normalize('NFC')
    );
  });

  /**
   * Puts a file; when the backend finds a different file at the path, settles it by the policy: `rename`
   * tries `Title (2).m4a`, `(3)`… (each checked by the backend again), `fail` is a final error naming the
   * path and the job. Same content is `alreadyThere`, at any of these names: a copy delivered before the
   * receipts were lost is found where it is, not sent again under a new number.
   */
  return async function putSettled(
    backend: SyncBackend,
    transfer: PlannedTransfer,
    log: Logger,
    /** Called just before the put: the transfer has arrived (SyncBackend.coming). */
    arriving: () => void,
  ): Promise<PutResult> {
    // Numbers count from the route's path (the destination), wherever the plan put this copy.
    const original = transfer.destination.slice(transfer.backend.length + 1);
    let n = 1;
    if (policy === 'rename' && transfer.remotePath !== original) {
      // Renamed by the plan: the route's path and the numbers below this one may hold this very content.
      while (n <= MAX_NUMBERED && numbered(transfer, original, n) !== transfer.remotePath) {
        const below = numbered(transfer, original, n);
        if (await holdsSame(backend, transfer, below)) {
          settleAt(transfer, original, below);
          return foundThere(transfer);
        }
        n++;
      }
    }
    for (;;) {
      try {
        const alikes = await alikesOf(backend, transfer.backend, transfer.remotePath);
        for (const alike of alikes)
          if (await holdsSame(backend, transfer, alike).catch(() => false)) {
            settleAt(transfer, original, alike);
            return foundThere(transfer);
          }
        if (alikes[0] !== undefined) throw alikeTaken(transfer, alikes[0]);
        arriving();
        return await backend.put({
          localPath: transfer.localPath,
          remotePath: transfer.remotePath,
          bytes: transfer.bytes,
          sha256: transfer.sha256,
          existing: existingAt(n),
          remoteRoot: transfer.remoteRoot,
          route: transfer.routeName,
          ...(transfer.recordedMs !== undefined && { recordedMs: transfer.recordedMs }),
          signal: options.signal,
        });
      } catch (error) {
        if (!isImkError(error, 'CONFLICT')) throw error;
        const foundAs = foundAsOf(error);
        // `replace` replaces what the plan chose to replace, never a file of someone else's under a name
        // that only looks the same: that one stays, and this copy is numbered as under `rename`.
        const numbering = policy === 'rename' || (policy === 'replace' && (n > 1 || foundAs !== undefined));
        if (!numbering) throw destinationConflict(transfer, transfer.remotePath, policy, error);
        const taken = transfer.remotePath;
        // The next number no receipt and no transfer of this pass holds; a held one may hold this content.
        for (;;) {
          if (++n > MAX_NUMBERED + 1) throw destinationConflict(transfer, original, policy, error);
          const candidate = numbered(transfer, original, n);
          if (!claimed.has(keyOf(transfer.backend, candidate))) {
            claimed.add(keyOf(transfer.backend, candidate));
            transfer.remotePath = candidate;
            break;
          }
          if (await holdsSame(backend, transfer, candidate)) {
            settleAt(transfer, original, candidate);
            return foundThere(transfer);
          }
        }
        transfer.conflict = {
          holder: { ...NO_HOLDER, ...(foundAs !== undefined && { remotePath: foundAs }) },
          path: original,
          resolution: 'renamed',
        };
        const held =
          foundAs === undefined
            ? `${transfer.backend}:${taken} holds a different file that no receipt of this host wrote`
            : `${transfer.backend}:${foundAs} is there, which no receipt of this host wrote, and ${SAME_NAME}`;
        log.warn(
          { remote_path: taken, delivered_as: transfer.remotePath, ...(foundAs && { found_as: foundAs }) },
          `conflict: ${held}; delivering as ${transfer.remotePath}`,
        );
      }
    }
  };
}
