import { resolvePaths } from '@imk/config';
import type { Logger } from '@imk/log';
import { ReceiptStore } from '@imk/sync';

/**
 * Opens the root's receipts for writing. A corrupt file is moved aside by ReceiptStore.open (receipts only
 * save work); this says so in the log, naming the file and where it went, so the user can look at it.
 */
export function openWritableReceipts(root: string, logger: Logger | undefined): ReceiptStore | undefined {
  const file = resolvePaths(root).receipts;
  return ReceiptStore.open({
    file,
    onMovedAside: (movedTo) =>
      logger?.warn(
        { file, movedTo },
        `the sync receipts ${file} were corrupt: moved aside to ${movedTo}; a new, empty file replaces them, so every delivery is checked at its destination again`,
      ),
  });
}
