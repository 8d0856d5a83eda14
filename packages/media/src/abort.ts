import { ImkError } from '@imk/errors';
import './errors.ts';

/** Throws ImkError('ABORTED') when the signal has fired; `what` names the file or step that stopped. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortedError(signal, what);
}

export function abortedError(signal: AbortSignal | undefined, what: string): ImkError {
  return new ImkError('ABORTED', `aborted while processing ${what}`, { cause: signal?.reason });
}
