// One receipt as the store keeps it: its key, its fields, the outcome a pass records, and its database row.
// The store that reads and writes them is receipts.ts.

/** A receipt is one delivered (or failed) version of an artifact at a destination: each version keeps its own. */
export interface ReceiptKey {
  jobId: string;
  artifactPath: string;
  /** `<backend name>:<remote path>`: the path the route gives (the copy may sit at a numbered one). */
  destination: string;
  sha256: string;
}

export interface Receipt extends ReceiptKey {
  backend: string;
  remotePath: string;
  bytes: number;
  status: 'delivered' | 'failed';
  final: boolean;
  attempts: number;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  /** Epoch ms on this host's clock (the database is local to this host). */
  nextAttemptAt: number | undefined;
  backendFingerprint: string;
  verifiedBy: string | undefined;
  deliveredAt: string | undefined;
  updatedAt: string;
  /** Set when a later artifact replaced this copy (conflict: replace): `<job id>:<artifact path>`. */
  replacedBy: string | undefined;
  /**
   * What `imk sync verify` last found of this delivered copy (REMOTE_MISSING: gone, REMOTE_CHANGED: altered).
   * Kept while retries fail for other reasons (the error code then says why), cleared once delivered again.
   */
  verifyFinding?: string | undefined;
  /**
   * Why this copy is numbered, when it is because of a file no receipt wrote under a name one with the route's
   * (differing only by case or accent encoding): that file's path, as the destination spells it.
   */
  foundAs?: string | undefined;
  /**
   * Where the backend put files when this receipt was written (fingerprint.ts backendLocation); undefined in a
   * receipt from before it was kept, until a pass takes the backend's present place for it (adoptLocations).
   */
  location?: string | undefined;
}

export type ReceiptOutcome =
  | { status: 'delivered'; verifiedBy: string }
  | {
      status: 'failed';
      final: boolean;
      errorCode: string;
      errorMessage: string;
      nextAttemptAt: number | undefined;
    };

export interface ReceiptWrite extends ReceiptKey {
  backend: string;
  remotePath: string;
  bytes: number;
  backendFingerprint: string;
  /** See Receipt.foundAs. */
  foundAs?: string | undefined;
  /** See Receipt.location. */
  location?: string | undefined;
}

export interface Row {
  job_id: string;
  artifact_path: string;
  destination: string;
  backend: string;
  remote_path: string;
  sha256: string;
  bytes: number;
  status: 'delivered' | 'failed';
  final: number;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  next_attempt_at: number | null;
  backend_fingerprint: string;
  verified_by: string | null;
  delivered_at: string | null;
  updated_at: string;
  replaced_by: string | null;
  verify_finding: string | null;
  found_as: string | null;
  location: string | null;
}

export function receiptKey(key: ReceiptKey): string {
  return `${key.jobId}\u0000${key.artifactPath}\u0000${key.destination}\u0000${key.sha256}`;
}

export function fromRow(row: Row): Receipt {
  return {
    jobId: row.job_id,
    artifactPath: row.artifact_path,
    destination: row.destination,
    backend: row.backend,
    remotePath: row.remote_path,
    sha256: row.sha256,
    bytes: row.bytes,
    status: row.status,
    final: row.final === 1,
    attempts: row.attempts,
    errorCode: row.error_code ?? undefined,
    errorMessage: row.error_message ?? undefined,
    nextAttemptAt: row.next_attempt_at ?? undefined,
    backendFingerprint: row.backend_fingerprint,
    verifiedBy: row.verified_by ?? undefined,
    deliveredAt: row.delivered_at ?? undefined,
    updatedAt: row.updated_at,
    replacedBy: row.replaced_by ?? undefined,
    verifyFinding: row.verify_finding ?? undefined,
    foundAs: row.found_as ?? undefined,
    location: row.location ?? undefined,
  };
}
