// What stops the inbox queueing files that is no fault of theirs (its folder read-only, its disk full, the
// queue unwritable): said once at error, not at every look (every 2 s), and said again when it is over.
import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';

// Errnos that name a condition of the folder or disk, the same for every file: one trouble, whatever file
// met it (the message names the file written, a private copy with a new name each time).
const FOLDER_CONDITIONS = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT', 'EFBIG']);

export interface InboxTroubles {
  /** Taking `file` failed for `error`, no fault of the file: said at error the first time only. */
  met(file: string, error: unknown): void;
  /** A file was taken (queued, set aside, or left to finish its copy): the troubles met are over, said so. */
  cleared(): void;
}

export function createInboxTroubles(logger: Logger): InboxTroubles {
  // By key (the errno, else the message): what was said.
  const said = new Map<string, string>();
  return {
    met(file, error) {
      const message = errorMessage(error);
      const code = (error as { code?: unknown } | undefined)?.code;
      const key = typeof code === 'string' && FOLDER_CONDITIONS.has(code) ? code : message;
      if (said.has(key)) {
        logger.debug({ file, err: message }, 'could not queue; will try again (as said)');
        return;
      }
      said.set(key, message);
      logger.error({ file, err: message }, 'could not queue; will try again');
    },
    cleared() {
      for (const message of said.values())
        logger.info({ was: message }, 'the inbox queues files again: what stopped it is over');
      said.clear();
    },
  };
}
