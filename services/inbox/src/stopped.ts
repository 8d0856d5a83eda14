// Ctrl-C (SIGINT to `imk up` / `imk run inbox`) or SIGTERM while a file is taken. The stop ends the take's
// tools at once (their abort signal), and a take that goes on past that point decided things it could not
// know: a cover extraction stopped by the abort read as "embedded cover not readable" and the song was
// queued without its cover, its original moved to .processed/ for good; a tool being started at the very
// instant of the Ctrl-C is still in imk's process group (from its fork to its setsid) and dies by it, and
// its failure read as the file's own (set aside in .rejected/ as unreadable). Once the stop came, the take
// under way decides nothing: the file stays in the inbox as it was, and the next start takes it.
// Whether the take must end so is @imk/errors' stopCame (the stop came, or the error is a stop's).
import { ImkError, errorMessage } from '@imk/errors';
import './errors.ts';

/** What a take stopped by the service's stop throws: the file it was taking stays in the inbox. */
export function takeStopped(name: string, cause?: unknown): ImkError {
  return new ImkError(
    'ABORTED',
    `the inbox stopped while ${name} was taken${cause === undefined ? '' : ` (${errorMessage(cause)})`}`,
    { cause },
  );
}

/** Said once the stop ended a take: nothing of the file was queued or set aside. */
export const LEFT_FOR_NEXT_START =
  'the inbox stopped while this file was taken: nothing of it was queued or set aside; it stays in the inbox as it was and is taken at the next start';
