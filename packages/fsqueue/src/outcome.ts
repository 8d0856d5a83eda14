import { join } from 'node:path';
import { readUntrustedJson } from '@imk/fs-safe';
import { CANCEL_FILE, ERROR_FILE, REJECTION_FILE, RESULT_FILE, type JobState } from './names.ts';

/** The file the queue writes beside an archived bundle, saying how it ended (one per archive state). */
const OUTCOME_FILES: Partial<Record<JobState, { file: string; reason: boolean }>> = {
  succeeded: { file: RESULT_FILE, reason: false },
  failed: { file: ERROR_FILE, reason: true },
  rejected: { file: REJECTION_FILE, reason: true },
  cancelled: { file: CANCEL_FILE, reason: true },
};

/**
 * Largest outcome file read: the queue writes them, but a rejection lists one problem per bad field of a job.json
 * of up to 1 MiB, so they are not always small (the ledger's rebuild read 16 MiB, the dashboard 1 MiB, the
 * queue's own listRejected 256 KiB: a reason one of them showed, another did not).
 */
const OUTCOME_FILE_MAX_BYTES = 16 << 20;

/** How an archived bundle ended, as the queue wrote it beside the bundle. */
export interface ArchiveOutcome {
  /** Why it failed, was rejected or cancelled (imk-error.json, imk-rejection.json, imk-cancel.json). */
  reason?: Record<string, unknown>;
  /** What a succeeded job's holder recorded (imk-result.json). */
  result?: Record<string, unknown>;
  /** The attempt that ended the job, when the file says. */
  attempt?: number;
}

/**
 * The outcome file of a bundle in one of the archive folders, read the untrusted way (small, never a FIFO
 * or a link); nothing for a folder in progress or a file missing, unreadable or not a JSON object.
 */
export async function readArchiveOutcome(entry: { state: JobState; dir: string }): Promise<ArchiveOutcome> {
  const kind = OUTCOME_FILES[entry.state];
  if (kind === undefined) return {};
  let doc: unknown;
  try {
    doc = await readUntrustedJson(join(entry.dir, kind.file), {
      name: kind.file,
      maxBytes: OUTCOME_FILE_MAX_BYTES,
    });
  } catch {
    return {};
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return {};
  const document = doc as Record<string, unknown>;
  const attempt = typeof document.attempt === 'number' ? document.attempt : undefined;
  return {
    ...(kind.reason ? { reason: document } : { result: document }),
    ...(attempt !== undefined && { attempt }),
  };
}

/**
 * Why an archived bundle failed, was rejected or cancelled (its outcome file), or undefined; a succeeded
 * bundle's imk-result.json is not read, since it holds no reason.
 */
export async function readArchiveReason(entry: {
  state: JobState;
  dir: string;
}): Promise<Record<string, unknown> | undefined> {
  if (OUTCOME_FILES[entry.state]?.reason !== true) return undefined;
  return (await readArchiveOutcome(entry)).reason;
}
