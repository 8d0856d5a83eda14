import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, isNoSpace } from '@imk/errors';
import type { Logger } from '@imk/log';
import type { DiskGuard } from '@imk/ops';

/** How often start-up looks again while the disk is full. */
export const START_UP_RETRY_MS = 2000;

/**
 * Runs one start-up step once the disk guard allows work, and again while it fails for want of space: a
 * worker started on a full disk waits (saying so once) and carries on when space returns, instead of
 * exiting for good. Any other error is thrown. Aborting the signal stops the wait.
 */
export async function whenSpace<T>(
  what: string,
  step: () => Promise<T> | T,
  guard: DiskGuard,
  logger: Logger,
  signal: AbortSignal,
): Promise<T> {
  let said = false;
  const wait = async (why: string): Promise<void> => {
    if (!said)
      logger.warn({ step: what, reason: why }, `disk full at start-up: waiting for space before ${what}`);
    said = true;
    await sleep(START_UP_RETRY_MS, undefined, { signal });
    await guard.check().catch(() => undefined);
  };
  for (;;) {
    signal.throwIfAborted();
    if (!guard.shouldClaim()) {
      await wait(guard.status().reason ?? 'free space below diskGuard.minFreeMb');
      continue;
    }
    try {
      const result = await step();
      if (said) logger.info({ step: what }, 'disk space is back: start-up continues');
      return result;
    } catch (error) {
      if (!isNoSpace(error)) throw error;
      await wait(errorMessage(error));
    }
  }
}
