/** What the errnos of a write that found no room mean, in the words a user acts on. */
const NO_ROOM: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full (no space left on the device)',
  EDQUOT: 'the disk quota is used up',
  EFBIG: "the file size limit was reached (ulimit -f, or the filesystem's largest file)",
};

/**
 * An error of writing `file`, naming it: Node's own says only "EFBIG: file too large, write" or "ENOSPC:
 * no space left on device, write", without the file. The errno stays the error's `code` (its retry policy
 * and the disk checks read it there) and the original is its `cause`. Already named: returned as it is.
 */
export function writeError(file: string, cause: unknown): Error {
  const error = cause as NodeJS.ErrnoException | undefined;
  const message = error instanceof Error ? error.message : String(cause);
  if (message.includes(file)) return error instanceof Error ? error : new Error(message);
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const why = (code !== undefined && NO_ROOM[code]) || message;
  const named = new Error(`cannot write ${file}: ${why}`, { cause });
  return Object.assign(named, { ...(code !== undefined && { code }), path: file });
}

/** True when a write failed for want of room (disk full, quota, file size limit). */
export function isNoRoomError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code in NO_ROOM;
}
