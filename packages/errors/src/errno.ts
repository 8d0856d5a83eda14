/**
 * The one errno policy of the project (STYLE 15): an operating-system error that reaches a retry decision
 * without a code of ours says by its errno whether another attempt can succeed. Both the worker (reading
 * a bundle, writing outputs) and nas-sync (writing a destination) ask here.
 */

// Conditions of the path itself that every attempt meets again until a person acts: no permission, a
// read-only filesystem, a link loop, a folder where a file must be or a file where a folder must be, a
// name too long for the filesystem.
const PERMANENT_ERRNO: ReadonlySet<string> = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ELOOP',
  'EISDIR',
  'ENOTDIR',
  'ENAMETOOLONG',
]);

/** False when the errno names a condition another attempt meets again; undefined when it says nothing. */
export function errnoRetryable(error: unknown): false | undefined {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof errno === 'string' && PERMANENT_ERRNO.has(errno) ? false : undefined;
}

// Out of space: the disk or the user's quota is full (errno), or SQLite found it so when it wrote.
const NO_SPACE_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/**
 * True when the error, or one it wraps (`cause`, as our errors keep it), is a full disk or quota, by its
 * code: never by its message, which may quote a path or a tool's words that only look like one.
 */
export function isNoSpace(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Object && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NO_SPACE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether a file-system error says there is nothing at the path: no entry by that name (ENOENT), or a file
 * where one of its folders should be (ENOTDIR: nothing can be below a file, so the path names nothing).
 * The one home of "absent" (STYLE 15): every "is it there?" asks here.
 */
export function isAbsentErrno(error: unknown): boolean {
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  return errno === 'ENOENT' || errno === 'ENOTDIR';
}
