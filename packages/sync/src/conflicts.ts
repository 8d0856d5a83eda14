import { posix } from 'node:path';
import { MAX_NAME_BYTES } from '@imk/fs-safe';
import { isVerifyFinding } from './errors.ts';
import type { DestinationPlaces } from './places.ts';
import type { PlannedTransfer, RoutingProblem } from './plan.ts';
import { receiptKey, type Receipt, type ReceiptStore } from './receipts.ts';
import type { TransferOutcome } from './run-transfers.ts';
import { fitName } from './routes.ts';

/**
 * What happens when a destination path already holds a different file: `rename` delivers as
 * `Title (2).m4a`, `(3)`…; `fail` stops that transfer with an error naming both jobs; `replace` overwrites
 * (the old copy's receipt is marked replaced). The same content is never a conflict.
 */
export const CONFLICT_POLICIES = ['rename', 'fail', 'replace'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** Who holds a path on a backend, by receipt or earlier in this pass. */
export interface PathHolder {
  jobId: string;
  artifactPath: string;
  sha256: string;
  /** The path as the holder wrote it: it may differ by case or accent encoding from the one asked about. */
  remotePath?: string;
}

/** `name (n).ext` beside `path`, kept within 255 bytes (the title is cut, the variant suffix and extension kept). */
export function numberedPath(path: string, n: number, maxBytes = MAX_NAME_BYTES): string {
  const dir = posix.dirname(path);
  const number = ` (${n})`;
  const fitted = fitName(posix.basename(path), maxBytes - Buffer.byteLength(number));
  const ext = posix.extname(fitted);
  const name = `${ext ? fitted.slice(0, -ext.length) : fitted}${number}${ext}`;
  return dir === '.' ? name : posix.join(dir, name);
}

/**
 * Whether a receipt's copy can still be sent again: the manifest of its job still lists that version of
 * that artifact for that destination. The plan knows (engine.ts); without it, every source counts as there.
 */
export type CanResend = (receipt: Receipt) => boolean;

const ALWAYS: CanResend = () => true;

/**
 * What `imk sync verify` last found of a delivered copy: REMOTE_MISSING (gone) or REMOTE_CHANGED (altered).
 * The receipt keeps it through failed retries; a receipt from before it was kept says it in its error code.
 */
export function verifyFindingOf(receipt: Receipt): string | undefined {
  return receipt.verifyFinding ?? (isVerifyFinding(receipt.errorCode) ? receipt.errorCode : undefined);
}

/**
 * Whether a receipt holds its destination path. A receipt holds while it is `delivered`, and after
 * `imk sync verify` found that copy altered (a file the user kept there). A copy found gone holds its path
 * for as long as it can come back there (`canResend`: its job's manifest still lists that version); once its
 * job's outputs are gone (retention, `imk cleanup`) or list another version, nothing can send it again and the
 * path is free. A failed retry of a gone or altered copy changes none of this (the finding is kept). It stops
 * holding once another artifact's copy replaced it (conflict: replace), or when its receipt is dropped. A
 * failed attempt that never delivered holds nothing. Every reader of "who holds this path" (the plan, the
 * transfers of a pass, `imk sync status`) asks this.
 */
export function holdsPath(receipt: Receipt, canResend: CanResend = ALWAYS): boolean {
  if (receipt.replacedBy !== undefined) return false;
  if (receipt.status === 'delivered') return true;
  const finding = verifyFindingOf(receipt);
  if (finding === 'REMOTE_CHANGED') return true;
  return finding === 'REMOTE_MISSING' && canResend(receipt);
}

/**
 * A copy verify found gone that can never be sent again (holdsPath releases its path): what
 * `imk sync status` lists as released.
 */
export function isReleased(receipt: Receipt, canResend: CanResend): boolean {
  return (
    receipt.replacedBy === undefined &&
    receipt.status === 'failed' &&
    verifyFindingOf(receipt) === 'REMOTE_MISSING' &&
    !canResend(receipt)
  );
}

/**
 * Who holds each path (by destinationKey), by holdsPath. Where two receipts name one path (a copy found gone,
 * then another artifact delivered there), the delivered one is what is there now.
 */
export function pathHolders(
  receipts: Iterable<Receipt>,
  canResend: CanResend = ALWAYS,
  places?: DestinationPlaces,
): Map<string, Receipt> {
  const held = new Map<string, Receipt>();
  for (const receipt of receipts) {
    if (!holdsPath(receipt, canResend)) continue;
    const key = destinationKey(receipt.backend, receipt.remotePath, places);
    if (held.get(key)?.status !== 'delivered') held.set(key, receipt);
  }
  return held;
}

/** The paths a backend's delivered copies hold: from every receipt (pathHolders), then claimed as the plan goes. */
export class DestinationIndex {
  private readonly held: Map<string, PathHolder>;

  constructor(
    receipts: Iterable<Receipt>,
    canResend: CanResend = ALWAYS,
    private readonly places?: DestinationPlaces,
  ) {
    this.held = pathHolders(receipts, canResend, places);
  }

  holder(backend: string, path: string): PathHolder | undefined {
    return this.held.get(destinationKey(backend, path, this.places));
  }

  claim(backend: string, path: string, holder: PathHolder): void {
    this.held.set(destinationKey(backend, path, this.places), holder);
  }

  /** The first `name (n).ext` that no receipt and no transfer of this pass holds. */
  freeNumbered(backend: string, path: string, maxNameBytes = MAX_NAME_BYTES): string {
    for (let n = 2; ; n++) {
      const candidate = numberedPath(path, n, maxNameBytes);
      if (!this.held.has(destinationKey(backend, candidate, this.places))) return candidate;
    }
  }
}

/**
 * One destination path of one backend, as a map key: what the plan, the transfers of a pass (one at a time
 * per path, a renamed copy never taking a held one) and the status call the same path. Names that differ
 * only by case or by how an accent is encoded (NFC "é" or NFD "e" + U+0301, as macOS writes names) are one
 * path: an SMB share, a Mac, Windows and many NAS volumes take them for one file, so a second song under
 * such a name is numbered rather than written beside (or, where the share cannot refuse it, over) the first.
 */
export function destinationKey(backend: string, path: string, places?: DestinationPlaces): string {
  const folder = places?.folderKey(backend, path);
  if (folder === undefined) return `${backend}\u0000${samePathKey(path)}`;
  return `${samePathKey(folder)}\u0000${samePathKey(posix.basename(path))}`;
}

/** A path as case- and normalisation-blind destinations see it (see destinationKey). */
export function samePathKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

/** One (job, artifact, destination) as a map key: the versions of one artifact's copy. */
export function versionKey(jobId: string, artifactPath: string, destination: string): string {
  return `${jobId}\u0000${artifactPath}\u0000${destination}`;
}

const same = (a: PathHolder, b: PathHolder): boolean =>
  a.jobId === b.jobId && a.artifactPath === b.artifactPath;

/**
 * A holder whose copy `imk sync verify` found altered: what is there is the user's file now, never the content
 * its receipt records (also when that receipt is the transfer's own, as on `imk sync retry`).
 */
export const isAlteredCopy = (holder: PathHolder): boolean =>
  'status' in holder && verifyFindingOf(holder as Receipt) === 'REMOTE_CHANGED';

export interface ConflictDecision {
  transfer: PlannedTransfer;
  /** Set when the path was taken by another artifact with other content. */
  conflict?: { holder: PathHolder; path: string; resolution: 'renamed' | 'failed' | 'replaced' };
}

/**
 * Checks every destination path of a pass against the pass itself and the receipts of everything
 * delivered to that backend, before anything is copied. A transfer already delivered keeps the path its
 * receipt records (a renamed copy stays renamed). Returns each transfer with its final path.
 */
export function resolveDestinations(
  transfers: readonly PlannedTransfer[],
  receipts: Iterable<Receipt>,
  policy: ConflictPolicy,
  nameBytesOf: (backend: string) => number = () => 255,
  canResend: CanResend = ALWAYS,
  places?: DestinationPlaces,
): ConflictDecision[] {
  const all = [...receipts];
  const index = new DestinationIndex(all, canResend, places);
  const latest = policy === 'replace' ? latestDeliveredVersions(all) : new Map<string, Receipt>();
  const decisions: ConflictDecision[] = [];
  for (const planned of transfers) {
    const transfer = { ...planned };
    const me = (): PathHolder => ({
      jobId: transfer.jobId,
      artifactPath: transfer.artifact.path,
      sha256: transfer.sha256,
      remotePath: transfer.remotePath,
    });
    const own = transfer.receipt;
    // A delivered copy keeps its path; one verify found gone returns under it (also after a failed retry).
    const gone = own !== undefined && verifyFindingOf(own) === 'REMOTE_MISSING';
    if ((own?.status === 'delivered' || gone) && own.replacedBy === undefined)
      transfer.remotePath = own.remotePath;
    // A new version under `replace` overwrites this artifact's latest copy, not whatever holds the route's path.
    const earlier = own
      ? undefined
      : latest.get(versionKey(transfer.jobId, transfer.artifact.path, transfer.destination));
    if (earlier) transfer.remotePath = earlier.remotePath;
    if (transfer.state === 'delivered') {
      // Nothing to send: it keeps its path (its receipt already holds it), or it was replaced by another.
      decisions.push({ transfer });
      continue;
    }
    const holder = index.holder(transfer.backend, transfer.remotePath);
    const ours =
      holder !== undefined &&
      !isAlteredCopy(holder) &&
      (holder.sha256 === transfer.sha256 || (same(holder, me()) && policy === 'replace'));
    if (!holder || ours) {
      index.claim(transfer.backend, transfer.remotePath, me());
      decisions.push({ transfer });
      continue;
    }
    const path = transfer.remotePath;
    if (policy === 'rename') {
      transfer.remotePath = index.freeNumbered(transfer.backend, path, nameBytesOf(transfer.backend));
      index.claim(transfer.backend, transfer.remotePath, me());
      decisions.push({ transfer, conflict: { holder, path, resolution: 'renamed' } });
    } else if (policy === 'replace') {
      // What is replaced is the holder's file, under the name it wrote (case and accents included): its very
      // path when it differs from ours only so (its folder too: "Daft Punk/" for our "DAFT PUNK/", which on a
      // case-sensitive disk would be a new folder beside it), else its name in this folder as this backend
      // spells it (the holder wrote it through another backend, to the same place).
      transfer.remotePath =
        holder.remotePath === undefined
          ? path
          : samePathKey(holder.remotePath) === samePathKey(path)
            ? holder.remotePath
            : posix.join(posix.dirname(path), posix.basename(holder.remotePath));
      index.claim(transfer.backend, transfer.remotePath, me());
      decisions.push({ transfer, conflict: { holder, path: transfer.remotePath, resolution: 'replaced' } });
    } else {
      decisions.push({
        transfer: { ...transfer, state: 'failed' },
        conflict: { holder, path, resolution: 'failed' },
      });
    }
  }
  return decisions;
}

/** The most recently delivered copy of each (job, artifact, destination) that nothing replaced. */
function latestDeliveredVersions(receipts: readonly Receipt[]): Map<string, Receipt> {
  const latest = new Map<string, Receipt>();
  for (const receipt of receipts) {
    if (receipt.status !== 'delivered' || receipt.replacedBy !== undefined) continue;
    const key = versionKey(receipt.jobId, receipt.artifactPath, receipt.destination);
    const known = latest.get(key);
    if (!known || (receipt.deliveredAt ?? '') > (known.deliveredAt ?? '')) latest.set(key, receipt);
  }
  return latest;
}

/**
 * Where the holder's copy is, when it is not under `path` letter for letter: names that differ only by case
 * or accent encoding are one name (destinationKey). Empty when they are the same.
 */
export function heldUnder(holder: PathHolder, path: string): string {
  if (holder.remotePath === undefined || holder.remotePath === path) return '';
  return ` (as ${holder.remotePath}: names that differ only by case or accent encoding are one file on most shares)`;
}

/** The message a `fail` conflict records: both jobs and the path. */
export function conflictMessage(transfer: PlannedTransfer, holder: PathHolder, path: string): string {
  const own = same(holder, { jobId: transfer.jobId, artifactPath: transfer.artifact.path, sha256: '' });
  const altered = own && isAlteredCopy(holder);
  const held = !own
    ? `${holder.artifactPath} of job ${holder.jobId}`
    : altered
      ? "this artifact's own copy, altered there since it was delivered (imk sync verify found it changed)"
      : 'an earlier version of this artifact, delivered before it changed';
  const fix = altered
    ? 'Move the edited file away to send the artifact there again, or set conflict: rename to send it beside it'
    : 'Rename one of them, add {job_id} to the route, or set conflict: rename';
  return `${transfer.backend}:${path} already holds a different file (${held})${heldUnder(holder, path)}; ${transfer.artifact.path} of job ${transfer.jobId} is not sent (conflict: fail). ${fix}`;
}

/**
 * Marks as replaced the delivered copies that `conflict: replace` overwrote: every receipt whose path is the
 * replaced file, whichever backend wrote it (places: the same folder through another backend is the same file).
 */
export function markReplaced(
  receipts: ReceiptStore,
  outcomes: TransferOutcome[],
  places: DestinationPlaces,
): void {
  const replaced = outcomes.filter(
    (outcome) => outcome.status === 'delivered' && outcome.transfer.conflict?.resolution === 'replaced',
  );
  if (replaced.length === 0) return;
  const all = [...receipts.all().values()];
  for (const { transfer } of replaced) {
    const key = destinationKey(transfer.backend, transfer.remotePath, places);
    // Each (backend, path) that names the replaced file, once: this copy's own, and any receipt's.
    const at = new Map<string, { backend: string; remotePath: string }>([
      [JSON.stringify([transfer.backend, transfer.remotePath]), transfer],
    ]);
    for (const receipt of all)
      if (destinationKey(receipt.backend, receipt.remotePath, places) === key)
        at.set(JSON.stringify([receipt.backend, receipt.remotePath]), receipt);
    for (const { backend, remotePath } of at.values())
      receipts.markReplaced(backend, remotePath, {
        jobId: transfer.jobId,
        artifactPath: transfer.artifact.path,
      });
  }
}

/**
 * Whether a receipt's copy can be sent again: its job is still in outputs/ and, where this plan read its
 * manifest, that manifest routes that version of that artifact to that destination. A job listed but not
 * read here (a plan of one job), or read with a problem (an invalid manifest, an unreadable artifact), counts
 * as able: that is unknown, and a path is released only when it is certain.
 */
export function resendCheck(
  listed: readonly { jobId: string }[],
  read: readonly { jobId: string }[],
  planned: readonly PlannedTransfer[],
  problems: readonly RoutingProblem[],
): CanResend {
  const inOutputs = new Set(listed.map((job) => job.jobId));
  const readHere = new Set(read.map((job) => job.jobId));
  const unsure = new Set(problems.map((problem) => `${problem.jobId}\u0000${problem.artifact.path}`));
  const versions = new Set(
    planned.map((transfer) =>
      receiptKey({
        jobId: transfer.jobId,
        artifactPath: transfer.artifact.path,
        destination: transfer.destination,
        sha256: transfer.sha256,
      }),
    ),
  );
  return (receipt) => {
    if (!inOutputs.has(receipt.jobId)) return false;
    if (!readHere.has(receipt.jobId) || unsure.has(`${receipt.jobId}\u0000${receipt.artifactPath}`))
      return true;
    return versions.has(receiptKey(receipt));
  };
}
