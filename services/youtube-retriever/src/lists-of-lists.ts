import { errorMessage, stopCame } from '@imk/errors';
import type { Logger } from '@imk/log';
import { linkWithoutCredentials, youtubeList, youtubeMix } from '@imk/retriever-sdk';
import { stoppedError } from './errors.ts';
import type { YtEntry } from './info.ts';

/**
 * Whether a listed entry is itself a list: what yt-dlp lists for a channel's Playlists, Releases or Podcasts
 * tab (each entry a playlist, extractor YoutubeTab), or an entry whose link is a playlist or a channel.
 */
export function isListEntry(entry: YtEntry): boolean {
  return entry.info.ie_key === 'YoutubeTab' || youtubeList(entry.url);
}

/** An entry that is a YouTube Mix without a video of its own (a video in a Mix is that video). */
function endlessMix(entry: YtEntry): { list: string } | undefined {
  const mix = youtubeMix(entry.url);
  return mix && mix.video === undefined ? mix : undefined;
}

export interface ExpandedEntries {
  entries: YtEntry[];
  warnings: string[];
  /** A list among the entries that could not be read: its link, and why. */
  failures: { link: string; error: unknown }[];
}

/**
 * The videos of a listing whose entries may be lists themselves (a channel's Playlists tab): each such
 * entry is listed in turn (`list`) and its videos take its place, at most `maxEntries` in all, each once.
 * Before, each playlist was taken for one video: its download put a whole playlist into one job (or failed).
 * Lists inside those are not followed further (said). A listing of videos is returned as it is.
 */
export async function expandListEntries(
  entries: readonly YtEntry[],
  options: {
    list: (link: string) => Promise<YtEntry[]>;
    maxEntries: number;
    logger: Logger;
    /** The link the user gave, for messages. */
    shown: string;
    /** The fetch's stop: a list whose listing it ended is no failure (the fetch ends as stopped). */
    signal?: AbortSignal | undefined;
  },
): Promise<ExpandedEntries> {
  const out: ExpandedEntries = { entries: [], warnings: [], failures: [] };
  if (!entries.some((entry) => isListEntry(entry) || endlessMix(entry)))
    return { ...out, entries: [...entries] };
  const seen = new Set<string>();
  const add = (entry: YtEntry) => {
    if (seen.has(entry.key) || out.entries.length >= options.maxEntries) return;
    seen.add(entry.key);
    out.entries.push(entry);
  };
  let lists = 0;
  let deeper = 0;
  const mixes: string[] = [];
  for (const entry of entries) {
    if (out.entries.length >= options.maxEntries) break;
    // A Mix has no end and is made up anew at every visit: never listed (see youtubeMix), and said. Looked
    // at first: a Mix's link is no list to youtubeList, so it was taken for one video.
    const mix = endlessMix(entry);
    if (mix) {
      mixes.push(`${linkWithoutCredentials(entry.url)} (list=${mix.list})`);
      continue;
    }
    if (!isListEntry(entry)) {
      add(entry);
      continue;
    }
    lists += 1;
    let listed: YtEntry[];
    try {
      listed = await options.list(entry.url);
    } catch (error) {
      // A yt-dlp the stop ended (one started at the instant of a Ctrl-C dies by it with an error of its
      // own) says nothing of the list: not recorded as failed.
      if (stopCame(options.signal, error))
        throw stoppedError(error, `listing of ${linkWithoutCredentials(entry.url)} stopped`);
      out.failures.push({ link: linkWithoutCredentials(entry.url), error });
      options.logger.warn({ list: entry.url, err: errorMessage(error) }, 'a list among the entries failed');
      continue;
    }
    for (const inner of listed)
      if (isListEntry(inner)) deeper += 1;
      else add(inner);
  }
  options.logger.info(
    { url: options.shown, lists, entries: out.entries.length },
    `${options.shown} lists playlists: the videos of each are fetched`,
  );
  if (mixes.length > 0) {
    const said = `${options.shown}: ${mixes.length === 1 ? 'a YouTube Mix among its playlists was' : `${String(mixes.length)} YouTube Mixes among its playlists were`} not fetched (${mixes.join(', ')}): a Mix has no end and is made up anew at every visit; add a playlist (list=PL…) instead`;
    out.warnings.push(said);
    options.logger.info({ url: options.shown, mixes }, said);
  }
  if (deeper > 0)
    out.warnings.push(
      `${options.shown}: ${deeper === 1 ? 'a list inside its playlists was' : `${String(deeper)} lists inside its playlists were`} not followed (only the videos of its playlists are fetched: lists are followed one level deep)`,
    );
  if (out.entries.length >= options.maxEntries)
    out.warnings.push(
      `${options.shown}: its playlists hold more videos than playlist.maxEntries (${String(options.maxEntries)}); only the first ${String(options.maxEntries)} are fetched`,
    );
  return out;
}
