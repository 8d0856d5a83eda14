import { posix } from 'node:path';
import { isImkError } from '@imk/errors';
import { samePathKey, type ConflictPolicy } from './conflicts.ts';
import { isRetryable, syncError } from './errors.ts';
import type { PlannedTransfer } from './plan.ts';
import type { SyncBackend } from './types.ts';

/**
 * Finds, at a destination, the files whose names differ from a path only by case or accent encoding (NFC/NFD)
 * and that no receipt of this host wrote: on a case-sensitive destination (ext4, S3, SFTP) such a file sits
 * beside ours, and once the folder is served over SMB or copied to a Mac one hides the other. The backend's
 * own check at the final name sees only that name letter for letter, so the run asks this first.
 *
 * Each folder is listed once per pass, by the first transfer to it; every transfer to that folder waits for
 * that listing before writing, so it shows what was there before the pass (what the pass writes itself is
 * kept apart by the plan). A listing that fails for a passing reason (the destination is down) fails the
 * transfer, which is tried again later; one the destination refuses for good (a folder one may write to but
 * not list) leaves the check to the backend's own, by the name letter for letter.
 */
export function createNameAlikes(isOurs: (backend: string, path: string) => boolean) {
  const listings = new Map<string, Map<string, Promise<string[]>>>();

  function listing(backend: SyncBackend, name: string, dir: string): Promise<string[]> {
    let byDir = listings.get(name);
    if (!byDir) listings.set(name, (byDir = new Map<string, Promise<string[]>>()));
    let names = byDir.get(dir);
    if (!names) {
      const folder = byDir;
      names = backend.list(dir).catch((error: unknown) => {
        if (!isRetryable(error)) return [];
        folder.delete(dir); // the next transfer asks again
        throw error;
      });
      byDir.set(dir, names);
    }
    return names;
  }

  /** The paths beside `path` on backend `name` that are one name with it but not it, and not ours. */
  return async function alikesOf(backend: SyncBackend, name: string, path: string): Promise<string[]> {
    const dir = posix.dirname(path);
    const base = posix.basename(path);
    const key = samePathKey(base);
    return (await listing(backend, name, dir))
      .filter((found) => found !== base && samePathKey(found) === key)
      .map((found) => (dir === '.' ? found : posix.join(dir, found)))
      .filter((found) => !isOurs(name, found));
  };
}

/** Why a name beside ours that only looks different is a conflict. */
export const SAME_NAME = `names that differ only by case or accent encoding are one file on most shares`;

/**
 * A file beside `transfer`'s path under a name one with it (case, accent encoding) that no receipt wrote: a
 * CONFLICT like one the backend finds at the name itself, saying which name (`found_as`).
 */
export function alikeTaken(transfer: PlannedTransfer, alike: string): Error {
  return syncError(
    'CONFLICT',
    `${transfer.backend}:${alike} is already there, and ${SAME_NAME}; ${transfer.remotePath} was not written beside it`,
    { details: { remote_path: transfer.remotePath, found_as: alike } },
  );
}

/** The name-alike a CONFLICT found (alikeTaken), if that is what it found. */
export function foundAsOf(error: { details: Record<string, unknown> }): string | undefined {
  const found = error.details.found_as;
  return typeof found === 'string' ? found : undefined;
}

/**
 * The final error of a conflict found at the destination that is not settled by a numbered name: a file no
 * receipt of ours holds under `conflict: fail`, or a folder, a FIFO or a device under the name, which no
 * policy replaces (nor does `rename` once every numbered name is taken).
 */
export function destinationConflict(
  transfer: PlannedTransfer,
  path: string,
  policy: ConflictPolicy,
  cause: unknown,
): Error {
  const notRegular = isImkError(cause) && cause.details.not_regular === true;
  const foundAs = isImkError(cause) ? foundAsOf(cause) : undefined;
  const what = notRegular
    ? 'something that is not a regular file (a folder, a FIFO or a device), which no conflict policy replaces'
    : foundAs === undefined
      ? 'a different file that no receipt of this host wrote'
      : `a different file that no receipt of this host wrote, as ${foundAs} (${SAME_NAME})`;
  const fix = notRegular
    ? 'Move or rename it on the destination, or change the route'
    : policy === 'fail'
      ? 'Move that file away, or set conflict: rename or replace'
      : 'Move that file away';
  return syncError(
    'CONFLICT',
    `${transfer.backend}:${path} already holds ${what}; ${transfer.artifact.path} of job ${transfer.jobId} is not sent (conflict: ${policy}). ${fix}`,
    { cause, details: { remote_path: path, job_id: transfer.jobId } },
  );
}
