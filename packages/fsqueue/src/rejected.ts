import { join } from 'node:path';
import { errorMessage, isAbsentErrno } from '@imk/errors';
import { listNamesOrEmpty } from '@imk/fs-safe';
import { describeProblems, jobLabel, jobNameOf, readJobJson } from '@imk/protocol';
import type { QueueContext } from './context.ts';
import { archiveFolder, writeControlFile } from './moves.ts';
import { REJECTED_DIR, REJECTION_FILE, archivedJobId } from './names.ts';
import { readArchiveReason } from './outcome.ts';
import type { RejectProblem } from './types.ts';

/** A bundle archived in `rejected/`, as the `onReject` hook and listRejected give it. */
export interface Rejection {
  jobId: string;
  /** The archived folder (`rejected/job_<id>@<token>/`), imk-rejection.json inside. */
  dir: string;
  /** What was wrong with it (empty when imk-rejection.json cannot be read). */
  problems: RejectProblem[];
  /**
   * One line naming the job and what was wrong: `job <id> ("Artist - Title"): field: message; …`
   * (imk-rejection.json's `reason`; built from the problems for a file written before it had one).
   */
  reason: string;
}

/** One folder of `rejected/` (names only, nothing read: cheap even when the archive is large). */
export interface RejectedFolder {
  jobId: string;
  dir: string;
}

/** The bundles archived as rejected in one queue. A queue without a `rejected/` folder has none. */
export async function listRejected(queueDir: string): Promise<RejectedFolder[]> {
  const dir = join(queueDir, REJECTED_DIR);
  const found: RejectedFolder[] = [];
  for (const name of (await listNamesOrEmpty(dir)).sort()) {
    const jobId = archivedJobId(name);
    if (jobId !== undefined) found.push({ jobId, dir: join(dir, name) });
  }
  return found;
}

/**
 * The problems a rejected folder's imk-rejection.json lists (none when it is missing or unreadable) and its
 * reason (named from the archived job.json for a file written before imk-rejection.json had one).
 */
export async function readRejection(folder: RejectedFolder): Promise<Rejection> {
  const doc = await readArchiveReason({ state: 'rejected', dir: folder.dir });
  const problems = Array.isArray(doc?.problems)
    ? doc.problems
        .filter((p): p is RejectProblem => typeof p === 'object' && p !== null)
        .map((p) => ({
          ...(typeof p.file === 'string' && { file: p.file }),
          path: String(p.path),
          message: String(p.message),
        }))
    : [];
  const reason =
    typeof doc?.reason === 'string' ? doc.reason : await rejectionReason(folder.dir, folder.jobId, problems);
  return { ...folder, problems, reason };
}

/**
 * The one-line reason of a rejection, naming the job as a failure does (`job <id> ("Artist - Title"): …`):
 * the artist and title come from job.json when it can be read at all, valid or not.
 */
export async function rejectionReason(
  dir: string,
  jobId: string,
  problems: RejectProblem[],
): Promise<string> {
  const name = jobNameOf(await readJobJson(dir).catch(() => undefined));
  return rejectionText(jobId, problems, name);
}

/** `job <id> ("Artist - Title"): field: what was wrong; …`, as imk-rejection.json's `reason` says it. */
export function rejectionText(
  jobId: string,
  problems: readonly RejectProblem[],
  name: Parameters<typeof jobLabel>[1] = {},
): string {
  const what = problems.length > 0 ? describeProblems(problems) : 'the bundle is invalid';
  return `${jobLabel(jobId, name)}: ${what}`;
}

/** Tells the queue's owner of a rejection; the hook's own trouble is logged, never raised. */
async function notifyRejected(ctx: QueueContext, rejection: Rejection): Promise<void> {
  try {
    await ctx.onReject?.(rejection);
  } catch (error) {
    ctx.logger?.error({ job_id: rejection.jobId, error: errorMessage(error) }, 'the onReject hook failed');
  }
}

/** Archives a held folder as rejected, with imk-rejection.json listing the problems. */
export async function rejectFolder(
  ctx: QueueContext,
  dir: string,
  jobId: string,
  token: string,
  problems: RejectProblem[],
  attempt: number,
): Promise<string | undefined> {
  const reason = await rejectionReason(dir, jobId, problems);
  const doc = {
    job_id: jobId,
    status: 'rejected',
    reason,
    problems,
    attempt,
    consumer: ctx.consumerId,
    token,
    time: new Date().toISOString(),
  };
  try {
    await writeControlFile(dir, REJECTION_FILE, doc);
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
  const archived = await archiveFolder(dir, join(ctx.queueDir, REJECTED_DIR), jobId, token, REJECTION_FILE);
  if (archived) {
    ctx.logger?.warn({ job_id: jobId, reason, problems, dir: archived }, 'bundle rejected');
    await notifyRejected(ctx, { jobId, dir: archived, problems, reason });
  }
  return archived;
}
