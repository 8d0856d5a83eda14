import { ImkError } from '@imk/errors';
import { linkWithoutCredentials } from '@imk/retriever-sdk';
import type { YtEntry } from './info.ts';
import './errors.ts';

/**
 * Refuses, before any download, an entry the site lists as a live stream still running or one yet to
 * begin (a premiere): the first would be downloaded from its live edge for as long as it runs (hours, or
 * for ever: a 24/7 radio), the second fails. Either is a video of fixed length once it has ended, and can
 * be requested then. Throws YT_NOT_LIVE_YET; returns for any other entry.
 */
export function refuseUnfinishedLive(entry: YtEntry): void {
  const { info } = entry;
  const status = info.live_status ?? (info.is_live === true ? 'is_live' : undefined);
  if (status !== 'is_live' && status !== 'is_upcoming') return;
  const what =
    status === 'is_live'
      ? 'a live stream that is still running'
      : 'a premiere or live stream that has not begun';
  throw new ImkError(
    'YT_NOT_LIVE_YET',
    `${linkWithoutCredentials(entry.url)} is ${what}; it is not downloaded: request it again once it has ended (then it is a video of fixed length)`,
    { details: { url: linkWithoutCredentials(entry.url), live_status: status } },
  );
}
