import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cutText, fsyncDir, pathExists, readUntrustedJson } from '@imk/fs-safe';
import { CONTROL_FILE_MAX_BYTES } from './bundle-state.ts';
import { archiveFolder, writeJsonSynced } from './moves.ts';
import { CANCEL_FILE, CANCEL_REQUEST_FILE, CANCELLED_DIR } from './names.ts';
import { isAbsentErrno } from '@imk/errors';

/** What `imk cancel` (or the dashboard) asks: written as imk-cancel-request.json into a claimed folder. */
export interface CancelRequest {
  job_id: string;
  /** Why, in the operator's words. */
  reason: string;
  /** Who asked: `imk cancel`, `dashboard`, … */
  requested_by: string;
  /** ISO 8601, the asker's clock (shown to people, never compared). */
  requested_at: string;
  /** Set when the asker holds the folder itself (a ready job it took to cancel). */
  token?: string;
}

/** Where the job was when it was cancelled, and by which claim. */
export interface CancelFacts {
  /** `ready` (never started) or `running` (stopped at its abort signal). */
  was: 'ready' | 'running';
  /** The stage a running job was stopped in. */
  stage?: string;
  attempt: number;
  /** Who archived it: the worker that held it, an observer of its expired lease, or the canceller. */
  consumer: string;
  /**
   * Output folders the job had published before it was stopped (the songs of a several-song bundle made
   * before the cancel): kept, and said, so that "nothing was published" is never claimed for them.
   */
  published?: string[];
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? cutText(value, 2000) : undefined;

/** The request in a folder, or undefined when there is none (a partly written one still counts: its reason is unknown). */
export async function readCancelRequest(dir: string): Promise<CancelRequest | undefined> {
  if (!(await pathExists(join(dir, CANCEL_REQUEST_FILE)))) return undefined;
  let json: Record<string, unknown> = {};
  try {
    // Written by another process, maybe on another host: read it the untrusted way, small.
    const value = await readUntrustedJson(join(dir, CANCEL_REQUEST_FILE), {
      name: CANCEL_REQUEST_FILE,
      maxBytes: CONTROL_FILE_MAX_BYTES,
    });
    if (typeof value === 'object' && value !== null) json = value as Record<string, unknown>;
  } catch {
    // Existence is the request; what it says is only its reason.
  }
  return {
    job_id: text(json.job_id) ?? '',
    reason: text(json.reason) ?? '(no reason given)',
    requested_by: text(json.requested_by) ?? 'unknown',
    requested_at: text(json.requested_at) ?? '',
    ...(text(json.token) !== undefined && { token: text(json.token) }),
  };
}

/** Writes a cancel request into a folder (fsynced); it replaces an earlier request there. */
export async function writeCancelRequest(dir: string, request: CancelRequest): Promise<void> {
  await writeJsonSynced(join(dir, CANCEL_REQUEST_FILE), request);
  await fsyncDir(dir);
}

/** The one line a cancel is told by: imk-cancel.json's `message`, and the ledger's history line. */
export function cancelMessage(
  by: string,
  reason: string,
  facts: Pick<CancelFacts, 'was' | 'stage' | 'published'>,
): string {
  // What it had published before it was stopped stays, and is said wherever this line is shown (the job page).
  const kept = facts.published?.length
    ? `; published before the cancel, kept: ${facts.published.join(', ')}`
    : '';
  return facts.was === 'running'
    ? `cancelled by ${by} while running${facts.stage ? ` (stage ${facts.stage})` : ''}: ${reason}${kept}`
    : `cancelled by ${by} before it started: ${reason}`;
}

/**
 * Archives a held folder that holds a cancel request as cancelled: imk-cancel.json (the request's reason
 * and who asked, when, where the job was) is written and fsynced, the request removed, and the folder
 * renamed into cancelled/. Returns the archived folder, or undefined when the folder was taken from us.
 */
export async function archiveCancelled(
  queueDir: string,
  dir: string,
  jobId: string,
  token: string,
  facts: CancelFacts,
): Promise<string | undefined> {
  const request = await readCancelRequest(dir);
  const reason = request?.reason ?? '(no reason given)';
  const by = request?.requested_by ?? 'unknown';
  const doc = {
    job_id: jobId,
    status: 'cancelled',
    reason,
    requested_by: by,
    requested_at: request?.requested_at ?? null,
    was: facts.was,
    ...(facts.stage !== undefined && { stage: facts.stage }),
    ...(facts.published !== undefined && facts.published.length > 0 && { published: facts.published }),
    message: cancelMessage(by, reason, facts),
    attempt: facts.attempt,
    consumer: facts.consumer,
    token,
    time: new Date().toISOString(),
  };
  try {
    await writeJsonSynced(join(dir, CANCEL_FILE), doc);
    await rm(join(dir, CANCEL_REQUEST_FILE), { force: true });
    await fsyncDir(dir);
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
  return archiveFolder(dir, join(queueDir, CANCELLED_DIR), jobId, token, CANCEL_FILE);
}
