import { readdir, stat } from 'node:fs/promises';
import { readUntrustedJson } from '@imk/fs-safe';
import { join } from 'node:path';
import {
  ARCHIVE_DIRS,
  CANCEL_FILE,
  CLAIMED_DIR,
  ERROR_FILE,
  REJECTION_FILE,
  RESULT_FILE,
  STATE_FILE,
  parseReadyName,
  parseTokenName,
} from '@imk/fsqueue';
import { describeProblems, readOutputManifest, type AnyManifest } from '@imk/protocol';
import type { LedgerState } from './types.ts';

/** One job folder seen in a queue. */
export interface SeenFolder {
  jobId: string;
  queue: string;
  state: LedgerState;
  dir: string;
  /** Folder mtime, ISO 8601: the best time the folders alone can give for this state. */
  at: string;
  job: Record<string, unknown> | undefined;
  attempts: number;
  error: Record<string, unknown> | undefined;
}

export interface SeenManifest {
  jobId: string;
  dir: string;
  manifest: AnyManifest;
  at: string;
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return [];
    throw error;
  }
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    // Bundles and outputs are untrusted: a FIFO or a link to /dev/zero would hang or fill the rebuild.
    const value = await readUntrustedJson(path, { maxBytes: 16 << 20 });
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The file beside an archived bundle that says why it ended there. */
const REASON_FILES: Partial<Record<LedgerState, string>> = {
  failed: ERROR_FILE,
  rejected: REJECTION_FILE,
  cancelled: CANCEL_FILE,
};

async function seen(queue: string, state: LedgerState, jobId: string, dir: string): Promise<SeenFolder> {
  const info = await stat(dir);
  const bundleState = await readJson(join(dir, STATE_FILE));
  const errorFile = REASON_FILES[state];
  const outcome = errorFile
    ? await readJson(join(dir, errorFile))
    : state === 'succeeded'
      ? await readJson(join(dir, RESULT_FILE))
      : undefined;
  // imk-state.json counts attempts started; the outcome file names the attempt that ended the job.
  const attempts = Math.max(
    typeof bundleState?.attempts === 'number' ? bundleState.attempts : 0,
    typeof outcome?.attempt === 'number' ? outcome.attempt : 0,
  );
  return {
    jobId,
    queue,
    state,
    dir,
    at: info.mtime.toISOString(),
    job: await readJson(join(dir, 'job.json')),
    attempts,
    error: errorFile ? outcome : undefined,
  };
}

/** Every job folder in every queue under `queuesDir`: ready, claimed and archived (`.tmp` is skipped). */
export async function scanQueues(queuesDir: string): Promise<SeenFolder[]> {
  const found: SeenFolder[] = [];
  for (const queue of await names(queuesDir)) {
    const queueDir = join(queuesDir, queue);
    if (queue.startsWith('.') || !(await stat(queueDir)).isDirectory()) continue;
    for (const name of await names(queueDir)) {
      const jobId = parseReadyName(name);
      if (jobId) found.push(await seen(queue, 'ready', jobId, join(queueDir, name)));
    }
    const sub: [LedgerState, string][] = [
      ['claimed', CLAIMED_DIR],
      ['succeeded', ARCHIVE_DIRS.succeeded],
      ['failed', ARCHIVE_DIRS.failed],
      ['rejected', ARCHIVE_DIRS.rejected],
      ['cancelled', ARCHIVE_DIRS.cancelled],
    ];
    for (const [state, folder] of sub) {
      for (const name of await names(join(queueDir, folder))) {
        const jobId = parseTokenName(name)?.jobId ?? parseReadyName(name);
        if (jobId) found.push(await seen(queue, state, jobId, join(queueDir, folder, name)));
      }
    }
  }
  return found;
}

/**
 * Every `outputs/<job_id>/manifest.json` that validates, v1 or the earlier version's (with its nulls), read
 * through the one outputs reader of @imk/protocol (folders starting with "." are in progress).
 */
export async function scanOutputs(
  outputsDir: string,
): Promise<{ manifests: SeenManifest[]; problems: string[] }> {
  const manifests: SeenManifest[] = [];
  const problems: string[] = [];
  for (const name of await names(outputsDir)) {
    if (name.startsWith('.')) continue;
    const dir = join(outputsDir, name);
    const result = await readOutputManifest(dir);
    if (result === undefined) continue;
    if (!result.ok) {
      problems.push(`${result.file}: ${describeProblems(result.problems)}`);
      continue;
    }
    manifests.push({
      jobId: result.manifest.jobId,
      dir,
      manifest: result.manifest.document,
      at: (await stat(join(dir, 'manifest.json'))).mtime.toISOString(),
    });
  }
  return { manifests, problems };
}
