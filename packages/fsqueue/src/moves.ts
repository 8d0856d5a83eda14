import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError, isImkError } from '@imk/errors';
import { fsyncDir, pathExists, readUntrustedJson } from '@imk/fs-safe';
import { CONTROL_FILE_MAX_BYTES } from './bundle-state.ts';
import { readyName, tokenName } from './names.ts';
import './errors.ts';

/** The `token` field of a JSON file the queue wrote (state, result, error, rejection), or undefined. */
export async function tokenIn(path: string): Promise<string | undefined> {
  try {
    const json = (await readUntrustedJson(path, { maxBytes: CONTROL_FILE_MAX_BYTES })) as {
      token?: unknown;
    } | null;
    return typeof json?.token === 'string' ? json.token : undefined;
  } catch {
    return undefined;
  }
}

export function claimLost(jobId: string, dir: string, cause?: unknown): ImkError {
  return new ImkError(
    'CLAIM_LOST',
    `the claim on job ${jobId} was lost (its lease expired and another consumer took it back); discard this work`,
    { cause, details: { job_id: jobId, dir } },
  );
}

/**
 * Renames a folder we hold to `to`, never replacing anything there (rename over an existing EMPTY folder
 * would silently replace it on Linux, so an existing target is refused first). An ambiguous error (an NFS
 * retry can report ENOENT for a rename that happened) is settled by asking `isOurs(to)`.
 * Returns false when the source is gone and the target is not ours: the claim was lost.
 */
export async function moveOwned(
  from: string,
  to: string,
  isOurs: (to: string) => Promise<boolean>,
): Promise<boolean> {
  if (await pathExists(to))
    throw new ImkError('TARGET_EXISTS', `cannot move ${from} to ${to}: something is already there`, {
      details: { from, to },
    });
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (await isOurs(to)) return true;
    const code = (error as NodeJS.ErrnoException).code;
    // ENOENT with the source still in place means the target's folder is missing, not a lost claim.
    if (code === 'ENOENT' && !(await pathExists(from))) return false;
    throw error;
  }
}

/**
 * Moves a held claim folder into an archive folder (succeeded / failed / rejected) as `job_<id>`, or as
 * `job_<id>@<token>` when a job of that id was archived there before. `ownerFile` (inside the folder,
 * holding our token) settles an ambiguous rename. Returns the archived path, or undefined when lost.
 */
export async function archiveFolder(
  from: string,
  archiveDir: string,
  jobId: string,
  token: string,
  ownerFile: string,
): Promise<string | undefined> {
  await ensureDir(archiveDir);
  const isOurs = async (to: string): Promise<boolean> => (await tokenIn(join(to, ownerFile))) === token;
  const plain = join(archiveDir, readyName(jobId));
  const targets = [plain, join(archiveDir, tokenName(jobId, token))];
  let recreated = false;
  for (let index = 0; index < targets.length; index++) {
    const target = targets[index]!;
    let moved: boolean;
    try {
      moved = await moveOwned(from, target, isOurs);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A job of the same id archived here before (or at this very moment): use the name unique to us.
      if (
        target === plain &&
        (isImkError(error, 'TARGET_EXISTS') || code === 'ENOTEMPTY' || code === 'EEXIST')
      )
        continue;
      // The archive folder was removed meanwhile: make it again, once.
      if (code === 'ENOENT' && !recreated) {
        recreated = true;
        await ensureDir(archiveDir);
        index--;
        continue;
      }
      throw error;
    }
    if (!moved) return undefined;
    await fsyncDir(archiveDir);
    return target;
  }
  return undefined;
}

/**
 * mkdir -p, at every archive: one call per job is nothing beside the job, and a process-wide memory of made
 * folders was state one queue (or test) left for the next. A folder removed between this and the rename is
 * made again by the caller (ENOENT).
 */
async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/** Writes a file that only this claim writes, and fsyncs it (no temp file: nobody reads it before the rename). */
export async function writeJsonSynced(path: string, value: unknown, sync = true): Promise<void> {
  // A link or a FIFO a producer put under this name is removed first, never written through or blocked on.
  await rm(path, { force: true });
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes one of the queue's own files into a folder a claim holds: file fsynced, then the folder. */
export async function writeControlFile(dir: string, file: string, doc: unknown): Promise<void> {
  await writeJsonSynced(join(dir, file), doc);
  await fsyncDir(dir);
}
