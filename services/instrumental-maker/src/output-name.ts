import { ImkError } from '@imk/errors';
import { windowsNameProblem } from '@imk/fs-safe';

/**
 * Errors with which a file system refuses a name: Linux's CIFS client, ntfs-3g (windows_names) and vfat
 * say EINVAL, some servers' answer arrives as ENOENT (the folder it was made in is there) or EILSEQ; a
 * device name (CON, NUL) may be refused as a permission.
 */
const NAME_REFUSALS = new Set(['EINVAL', 'ENOENT', 'EILSEQ']);
const DEVICE_REFUSALS = new Set(['EACCES', 'EPERM']);

/**
 * A job id is any text the user's disk takes (the earlier version accepted `:`, `?`, a trailing dot …), so
 * it is never refused up front; but outputs/ on an SMB share (or an NTFS or FAT drive) refuses such a
 * name when the job's folders are made there. Then this turns the bare OS error into OUTPUT_NAME_REFUSED,
 * naming the job, what in its id the share refuses and what to do; any other error is returned as it is.
 */
export function outputNameError(error: unknown, jobId: string, outputsDir: string): unknown {
  const problem = windowsNameProblem(jobId);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (problem === undefined || code === undefined) return error;
  const device = problem.includes('device name');
  if (!NAME_REFUSALS.has(code) && !(device && DEVICE_REFUSALS.has(code))) return error;
  return new ImkError(
    'OUTPUT_NAME_REFUSED',
    `outputs/${jobId}/ cannot be made in ${outputsDir} (${code}): Windows and SMB shares refuse this job id as a folder name (${problem}); give the bundle another job id (publish it again under a name without it), or keep outputs/ on a file system that takes such names (ext4, XFS, NFS)`,
    { cause: error, details: { job_id: jobId, folder: outputsDir, code } },
  );
}
