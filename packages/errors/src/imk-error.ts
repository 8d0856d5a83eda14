import { policyOfCode, type ErrorPolicy } from './policy-registry.ts';

export interface ImkErrorOptions {
  /** What caused this error, kept for logs and debugging. */
  cause?: unknown;
  /** Extra structured facts (file, field, job id) that a log or an error file can show. */
  details?: Record<string, unknown>;
  /**
   * Whether this one error can be tried again, overriding its code's catalogue policy. False for conditions of the input itself (a FIFO, a symlink, no
   * permission, too large, too deep); true for passing trouble. Undefined: the code's usual policy decides.
   */
  retryable?: boolean;
}

/**
 * The one error class of the project: a stable string `code` that programs match on, and a message that
 * says what was wrong, where (file, field, job id) and what to do.
 */
export class ImkError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean | undefined;

  constructor(code: string, message: string, options: ImkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImkError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable;
  }

  /** The code's policy from its package's catalogue (see defineErrors): retryable, HTTP status. */
  get policy(): ErrorPolicy | undefined {
    return policyOfCode(this.code);
  }
}

export function isImkError(error: unknown, code?: string): error is ImkError {
  return error instanceof ImkError && (code === undefined || error.code === code);
}

/** Where an error keeps the words that messages wrapping it say it in (see markSaidAs). */
const SAID_AS = Symbol.for('imk.error.saidAs');

/**
 * Notes that messages wrapping `error` say it in `words`, a summary such as "a folder, not a regular
 * file" or "ENOENT: no such file or directory" (fs-safe's fileReadProblem notes what it returns). A
 * message that contains those words has said that error: errorMessage does not append it (nor anything
 * between, which wraps the same cause) after the message again.
 */
export function markSaidAs(error: unknown, words: string): void {
  if (error instanceof Error && words !== '')
    Object.defineProperty(error, SAID_AS, { value: words, configurable: true, enumerable: false });
}

/** Whether `message` already says `error` or what it wraps, in the words noted by markSaidAs. */
function alreadySaid(message: string, error: Error): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const words = (current as { [SAID_AS]?: unknown })[SAID_AS];
    if (typeof words === 'string' && message.includes(words)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * A one-line message for any thrown value, including the causes' messages where they add something: a
 * cause whose message is already in it, or that it already says in the words noted by markSaidAs, is not
 * repeated.
 */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let message = error.message;
  let wrapper: Error = error;
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    if (alreadySaid(message, cause) || saysItsErrno(wrapper, cause)) break;
    if (!message.includes(cause.message)) message += `: ${cause.message}`;
    wrapper = cause;
    cause = cause.cause;
  }
  return message;
}

/**
 * Whether `wrapper` took the errno of the system error it wraps as its own code (fs-safe's writeError: "cannot
 * write <file>: the disk is full (no space left on the device)", code ENOSPC): it says that error in the
 * user's words, and Node's own ("ENOSPC: no space left on device, write") after it only repeats it.
 */
function saysItsErrno(wrapper: Error, cause: Error): boolean {
  const code = (cause as NodeJS.ErrnoException).code;
  return (
    typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && (wrapper as NodeJS.ErrnoException).code === code
  );
}

/** The error's own word on retrying (see ImkErrorOptions.retryable), found on it or on a cause; else undefined. */
export function retryableOf(error: unknown): boolean | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current instanceof ImkError && current.retryable !== undefined) return current.retryable;
    current = current.cause;
  }
  return undefined;
}

/**
 * Whether another attempt may succeed: the error's own word (on it or a cause) first, then its code's
 * catalogue policy; undefined when neither says (an error of unknown code, or not an ImkError).
 */
export function isRetryableError(error: unknown): boolean | undefined {
  return retryableOf(error) ?? (error instanceof ImkError ? error.policy?.retryable : undefined);
}

/**
 * Whether the input itself is at fault (a file, a bundle), so the same input fails the same way on every
 * attempt and is set aside with the reason rather than tried again: the error's own word (on it or a cause)
 * says not retryable, or else its code's catalogue policy is POLICY.unprocessable's (permanent, 422: the
 * input cannot be used). A missing tool or setting (503), a corrupt ledger, an existing job (409), a full
 * disk or an unwritable queue are not the input's fault, and the input is kept where it is.
 */
export function isInputFault(error: unknown): boolean {
  const own = retryableOf(error);
  if (own !== undefined) return !own;
  const policy = error instanceof ImkError ? error.policy : undefined;
  return policy !== undefined && !policy.retryable && policy.httpStatus === 422;
}

/** The HTTP status for an error from its code's catalogue policy; undefined when no catalogue names it. */
export function httpStatusOf(error: unknown): number | undefined {
  return error instanceof ImkError ? error.policy?.httpStatus : undefined;
}
