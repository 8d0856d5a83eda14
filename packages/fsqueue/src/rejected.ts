import { join } from 'node:path';
import { listNamesOrEmpty } from '@imk/fs-safe';
import { describeProblems, jobLabel, jobNameOf, readJobJson } from '@imk/protocol';
import { archivedJobId } from './inspect.ts';
import { REJECTED_DIR } from './names.ts';
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
