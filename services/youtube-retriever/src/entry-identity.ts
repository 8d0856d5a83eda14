import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { makeJobId } from '@imk/retriever-sdk';
import type { YtInfo } from './info.ts';

/** yt-dlp's extractor key of YouTube videos, lower-cased: its ids keep the earlier project's `yt_<videoId>_<kind>`. */
export const YOUTUBE_EXTRACTOR = 'youtube';

/**
 * Extractors whose "id" is only the last part of the link's path (`http://a.example/song.mp3` -> `song`,
 * a page's third `<audio>` -> `page-3`): the same for two different songs on two hosts or folders, or on one
 * page that changed. Their entries are identified by a hash of the link instead.
 */
const ID_FROM_LINK_NAME = new Set(['generic', 'html5mediaembed', 'quotedhtml']);

/** Hex digits of the link's sha256 in an entry key: 40 bits, no collision in any real library. */
const LINK_HASH_LENGTH = 10;

/**
 * What identifies one entry, in the download archive (`<extractor> <key>`, yt-dlp's line format) and in its
 * job id (see entryJobId). The site's own id where it is unique on that site; otherwise (yt-dlp's generic
 * extractors, or no id at all) `<name>-<hash>`, where the hash is of the entry's canonical link: the link
 * asked for (a file link) or the entry's own link (a feed item); for the media of a page, the media links
 * the listing names, else the page and the entry's position there.
 */
export function entryKey(
  extractor: string,
  info: YtInfo,
  url: string,
  playlistItem: number | undefined,
): string {
  const id = info.id ?? undefined;
  if (id !== undefined && id !== '' && !ID_FROM_LINK_NAME.has(extractor)) return id;
  const link = canonicalLink(extractor, info, url, playlistItem);
  const hash = createHash('sha256').update(link).digest('hex').slice(0, LINK_HASH_LENGTH);
  return `${id || linkName(link)}-${hash}`;
}

/**
 * The job id of an entry: `yt_<videoId>_<kind>` for YouTube (as the earlier project named them, so its
 * users' ids and download archives stay valid), `yt_<extractor>.<key>_<kind>` for every other site, so the
 * same id on two sites is two jobs (a YouTube id never holds a ".", so neither can be taken for the other).
 */
export function entryJobId(
  entry: { extractor: string; id: string | undefined; key: string },
  kind: string,
): string {
  if (entry.extractor === YOUTUBE_EXTRACTOR && entry.key === entry.id)
    return makeJobId('yt', entry.key, kind);
  return makeJobId('yt', `${entry.extractor}.${entry.key}`, kind);
}

function canonicalLink(
  extractor: string,
  info: YtInfo,
  url: string,
  playlistItem: number | undefined,
): string {
  // A link the user gave (or a feed item's own link) to a file: that link, not the one it redirects to
  // (often a signed address that changes on every visit).
  if (extractor === 'generic' && playlistItem === undefined) return canonicalUrl(url) ?? url;
  const media = [info.url, ...(info.formats ?? []).map((format) => format.url)].flatMap((link) => {
    const canonical = link ? canonicalUrl(link) : undefined;
    return canonical ? [canonical] : [];
  });
  if (media.length > 0) return [...new Set(media)].sort().join(' ');
  const page = canonicalUrl(url) ?? url;
  return playlistItem === undefined ? page : `${page}#${String(playlistItem)}`;
}

/** An http(s) link as one spelling: host lower-cased, default port and fragment dropped. */
function canonicalUrl(link: string): string | undefined {
  if (!/^https?:\/\//i.test(link)) return undefined;
  try {
    const parsed = new URL(link);
    parsed.hash = '';
    return parsed.href;
  } catch {
    return undefined;
  }
}

/** The file name of a link without its extension (what yt-dlp's generic extractor uses as id). */
function linkName(link: string): string {
  let path = '';
  try {
    path = decodeURIComponent(new URL(link.split(' ')[0] ?? '').pathname);
  } catch {
    // not a URL (a page's position) or not decodable: no name
  }
  const base = posix.basename(path);
  return base.slice(0, base.lastIndexOf('.') > 0 ? base.lastIndexOf('.') : undefined) || 'media';
}
