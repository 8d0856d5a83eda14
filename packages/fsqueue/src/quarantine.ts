import { createHash } from 'node:crypto';
import { mkdir, rename, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { capText } from '@imk/fs-safe';
import { jobIdProblem } from '@imk/protocol';
import type { QueueContext } from './context.ts';
import { rejectFolder } from './rejected.ts';
import { CLAIMED_DIR, READY_PREFIX, TMP_SUFFIX, parseReadyName, tokenName } from './names.ts';
import { isAbsentErrno } from '@imk/errors';

/**
 * Why a name in the queue folder that looks like a bundle (`job_…`) cannot be one, or undefined when it may
 * be (a `.tmp` folder is a producer's and is left to the sweeper).
 */
export function badReadyName(name: string): string | undefined {
  if (!name.startsWith(READY_PREFIX) || name.endsWith(TMP_SUFFIX)) return undefined;
  if (parseReadyName(name) !== undefined) return undefined;
  const id = name.slice(READY_PREFIX.length);
  const why = jobIdProblem(id) ?? 'the id is not valid';
  return (
    `the folder name "${capText(name, 120)}" is not job_<id> with a valid id (${why}); ` +
    `publish it again under a valid name`
  );
}

/** The id a quarantined entry is filed under: its own when valid, else one derived from its name. */
function quarantineId(name: string): string {
  return parseReadyName(name) ?? `invalid-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/**
 * Rejects an entry of the queue folder that cannot be claimed as a bundle: a name that does not parse, or
 * a `job_<id>` that is a symbolic link or not a folder. The entry itself is moved, never followed, into a
 * new folder of ours (nothing is written through a link), which is archived in rejected/ with
 * imk-rejection.json beside the entry. Returns the archived folder, or undefined when another consumer
 * took the entry first.
 */
export async function quarantineEntry(
  ctx: QueueContext,
  name: string,
  problem: string,
  path = join(ctx.queueDir, name),
): Promise<string | undefined> {
  const jobId = quarantineId(name);
  const token = ctx.newToken(jobId);
  const holder = join(ctx.queueDir, CLAIMED_DIR, tokenName(jobId, token));
  await mkdir(holder, { recursive: true });
  try {
    // rename moves a link itself, not what it points to.
    await rename(path, join(holder, name));
  } catch (error) {
    await rmdir(holder).catch(() => undefined);
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
  const problems = [
    { path: '(bundle folder)', message: capText(`${problem}; kept as ${name} in this folder`) },
  ];
  return rejectFolder(ctx, holder, jobId, token, problems, 0);
}
