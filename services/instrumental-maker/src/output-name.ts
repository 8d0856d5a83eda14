import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { windowsNameProblem } from '@imk/fs-safe';
import { NAME_CHECK_PREFIX } from '@imk/protocol';
import './errors.ts';

/**
 * Errors with which a file system refuses a name: Linux's CIFS client, ntfs-3g (windows_names) and vfat
 * say EINVAL, some servers' answer arrives as ENOENT (the folder it was made in is there) or EILSEQ; a
 * device name (CON, NUL) may be refused as a permission.
 */
const NAME_REFUSALS = new Set(['EINVAL', 'ENOENT', 'EILSEQ', 'EACCES', 'EPERM']);

/**
 * A job id is any text the user's disk takes (the earlier version accepted `:`, `?`, a trailing dot …), so
 * it is never refused up front; but outputs/ on an SMB share (or an NTFS or FAT drive) refuses such a
 * name when the job's folders are made there. Then this turns the bare OS error into OUTPUT_NAME_REFUSED,
 * naming the job, what in its id the share refuses and what to do. Only once outputs/ itself said so: a
 * folder named by the id is made in a private folder there, and must fail too (else the error was
 * something else, a claim lost in a race, and is returned as it is, as is any other error).
 */
export async function outputNameError(error: unknown, jobId: string, outputsDir: string): Promise<unknown> {
  const problem = windowsNameProblem(jobId);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (problem === undefined || code === undefined || !NAME_REFUSALS.has(code)) return error;
  if (!(await refusesName(outputsDir, jobId))) return error;
  return new ImkError(
    'OUTPUT_NAME_REFUSED',
    `outputs/${jobId}/ cannot be made in ${outputsDir} (${code}): Windows and SMB shares refuse this job id as a folder name (${problem}); give the bundle another job id (publish it again under a name without it), or keep outputs/ on a file system that takes such names (ext4, XFS, NFS)`,
    { cause: error, details: { job_id: jobId, folder: outputsDir, code } },
  );
}

/** Whether the file system of `outputsDir` refuses `name` as a folder name (asked in a private folder). */
async function refusesName(outputsDir: string, name: string): Promise<boolean> {
  let check: string;
  try {
    check = await mkdtemp(join(outputsDir, NAME_CHECK_PREFIX));
  } catch {
    return false; // outputs/ takes no folder at all: not the name's fault
  }
  try {
    await mkdir(join(check, name));
    return false;
  } catch (error) {
    return NAME_REFUSALS.has((error as NodeJS.ErrnoException).code ?? '');
  } finally {
    await rm(check, { recursive: true, force: true }).catch(() => undefined);
  }
}
