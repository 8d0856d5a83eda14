import { ImkError } from '@imk/errors';
import { UntrustedFileError, type UntrustedFileCode } from '@imk/fs-safe';

/** An error as it crosses to another process (JSON): what isRetryable, errorCode and messages read of it. */
export interface WireError {
  message: string;
  name?: string;
  /** An ImkError's code, or a file-system error's errno code (ENOENT). */
  code?: string;
  /** An ImkError's details; `untrusted`: an fs-safe refusal (UntrustedFileError, its retry word its own). */
  imk?: { details: Record<string, unknown>; untrusted?: true };
  errno?: number;
  syscall?: string;
  path?: string;
  cause?: WireError;
}

/** `error`, its code, details and causes, as JSON can carry them (errorFromWire makes it again). */
export function errorToWire(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) return { message: String(error) };
  const fs = error as NodeJS.ErrnoException;
  return {
    message: error.message,
    name: error.name,
    ...(typeof fs.code === 'string' && { code: fs.code }),
    ...(error instanceof ImkError && {
      imk: {
        details: error.details,
        ...(error instanceof UntrustedFileError && { untrusted: true as const }),
      },
    }),
    ...(typeof fs.errno === 'number' && { errno: fs.errno }),
    ...(typeof fs.syscall === 'string' && { syscall: fs.syscall }),
    ...(typeof fs.path === 'string' && { path: fs.path }),
    ...(error.cause !== undefined && depth < 4 && { cause: errorToWire(error.cause, depth + 1) }),
  };
}

/**
 * The error errorToWire carried: an ImkError with its code and details (its policy is its code's catalogue
 * entry, as on the other side), an fs-safe refusal as the same class, or an Error with its errno fields.
 */
export function errorFromWire(wire: WireError): Error {
  const cause = wire.cause && errorFromWire(wire.cause);
  if (wire.imk && wire.code !== undefined) {
    const { details } = wire.imk;
    if (wire.imk.untrusted)
      return new UntrustedFileError(
        wire.code as UntrustedFileCode,
        wire.message,
        String(details.file),
        cause,
        typeof details.kind === 'string' ? details.kind : undefined,
      );
    return new ImkError(wire.code, wire.message, { cause, details });
  }
  const error = new Error(wire.message, cause === undefined ? undefined : { cause }) as NodeJS.ErrnoException;
  if (wire.name !== undefined) error.name = wire.name;
  if (wire.code !== undefined) error.code = wire.code;
  if (wire.errno !== undefined) error.errno = wire.errno;
  if (wire.syscall !== undefined) error.syscall = wire.syscall;
  if (wire.path !== undefined) error.path = wire.path;
  return error;
}
