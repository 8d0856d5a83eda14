import { z } from 'zod';
import { ImkError } from '@imk/errors';
import { entryKey } from './entry-identity.ts';
import './errors.ts';

/** The fields of yt-dlp's info JSON that we use (it has many more). */
export const YtInfoSchema = z.looseObject({
  _type: z.string().optional(),
  // null in the entries of an RSS feed (yt-dlp lists them with no id)
  id: z.string().nullish(),
  title: z.string().nullish(),
  channel: z.string().nullish(),
  uploader: z.string().nullish(),
  duration: z.number().nullish(),
  // is_live, was_live, is_upcoming, post_live, not_live; is_live alone from older extractors
  live_status: z.string().nullish(),
  is_live: z.boolean().nullish(),
  thumbnail: z.string().nullish(),
  upload_date: z.string().nullish(),
  webpage_url: z.string().nullish(),
  original_url: z.string().nullish(),
  url: z.string().nullish(),
  ie_key: z.string().nullish(),
  extractor_key: z.string().nullish(),
  track: z.string().nullish(),
  artist: z.string().nullish(),
  album: z.string().nullish(),
  creator: z.string().nullish(),
  playlist_index: z.number().nullish(),
  // Entries have the same shape; they are parsed one by one by `entriesOf` (zod cannot infer a self-reference here).
  entries: z.array(z.unknown()).nullish(),
  formats: z.array(z.looseObject({ url: z.string().nullish() })).nullish(),
  requested_downloads: z.array(z.looseObject({ filepath: z.string().nullish() })).nullish(),
});
export type YtInfo = z.infer<typeof YtInfoSchema>;

/** One video to fetch, from a single-video URL or one entry of a playlist. */
export interface YtEntry {
  /** The site's own id of the video (YouTube's 11 characters, or what another site uses), when it has one. */
  id: string | undefined;
  /** yt-dlp's extractor key lower-cased, as in its download-archive lines ("youtube", "generic", …). */
  extractor: string;
  /** What identifies the entry in the download archive and its job id; see entryKey. */
  key: string;
  /** What to hand yt-dlp to download this entry. */
  url: string;
  /** For entries that only exist inside the playlist page: the 1-based item to pick from `url`. */
  playlistItem?: number | undefined;
  info: YtInfo;
}

export function parseInfo(stdout: string, url: string): YtInfo {
  let json: unknown;
  try {
    json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  } catch (error) {
    throw new ImkError('YT_DLP_FAILED', `yt-dlp gave no readable metadata for ${url}`, { cause: error });
  }
  const parsed = YtInfoSchema.safeParse(json);
  if (!parsed.success) throw new ImkError('YT_DLP_FAILED', `yt-dlp gave unexpected metadata for ${url}`);
  return parsed.data;
}

/**
 * The videos a URL stands for: itself, or every entry of a playlist (flat entries carry their own URL;
 * entries a page holds inline are picked from the page by index).
 */
export function listEntries(info: YtInfo, requestedUrl: string): YtEntry[] {
  if (info._type !== 'playlist') return [entryOf(info, requestedUrl, undefined)];
  const pageUrl = info.webpage_url ?? requestedUrl;
  const entries: YtEntry[] = [];
  for (const [index, entry] of entriesOf(info).entries()) {
    if (!entry) continue; // unavailable entries are null in yt-dlp's JSON
    const own = entry._type === 'url' || entry._type === 'url_transparent' ? entry.url : undefined;
    if (own && /^https?:\/\//.test(own)) entries.push(entryOf(entry, own, undefined));
    else entries.push(entryOf(entry, pageUrl, entry.playlist_index ?? index + 1));
  }
  return entries;
}

function entryOf(info: YtInfo, url: string, playlistItem: number | undefined): YtEntry {
  const extractor = (info.extractor_key ?? info.ie_key ?? 'generic').toLowerCase();
  return {
    id: info.id || undefined,
    extractor,
    key: entryKey(extractor, info, url, playlistItem),
    url: info.webpage_url && !playlistItem ? info.webpage_url : url,
    playlistItem,
    info,
  };
}

/** A playlist's entries, each parsed (null where yt-dlp lists an unavailable video). */
export function entriesOf(info: YtInfo): (YtInfo | null)[] {
  return (info.entries ?? []).map((entry) => {
    const parsed = YtInfoSchema.safeParse(entry);
    return parsed.success ? parsed.data : null;
  });
}
