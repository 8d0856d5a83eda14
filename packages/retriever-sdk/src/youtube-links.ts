/**
 * A YouTube Mix or radio (`list=RD…`, `list=UL…`): a list YouTube makes up for each visit, without end.
 * yt-dlp lists one as a playlist, so a link copied while a Mix plays (`watch?v=<id>&list=RD<id>`) fetched
 * `playlist.maxEntries` songs nobody chose, and a subscription to one fetched other songs at every run.
 * YouTube Music's own playlists (`RDCLAK5uy_…`) start with RD too but are lists with an end: not Mixes.
 */
export interface YoutubeMix {
  /** The `list` value (RDxxxx). */
  list: string;
  /** The video the link plays (`v=`), when it names one. */
  video: string | undefined;
}

const YOUTUBE_HOST = /^(?:(?:www|m|music)\.)?youtube(?:-nocookie)?\.com$|^youtu\.be$/i;
const MIX_LIST = /^(?:RD|UL)/;
const FINITE_RD_LIST = /^RDCLAK5uy_/;

/** The Mix a link names, or undefined (another list, another site, not a link). */
export function youtubeMix(link: string): YoutubeMix | undefined {
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    return undefined;
  }
  if (!YOUTUBE_HOST.test(url.hostname)) return undefined;
  const list = url.searchParams.get('list');
  if (list === null || !MIX_LIST.test(list) || FINITE_RD_LIST.test(list)) return undefined;
  const video = url.hostname.toLowerCase() === 'youtu.be' ? url.pathname.slice(1) : url.searchParams.get('v');
  return { list, video: video || undefined };
}

/** Why a Mix cannot be subscribed to, and what to subscribe to instead (a config or request error). */
export const MIX_NOT_SUBSCRIBABLE =
  'a YouTube Mix or radio (list=RD…) has no end and is made up anew at every visit, so it cannot be subscribed to: subscribe to the channel (https://www.youtube.com/@name/videos) or to a playlist (list=PL…) instead';

const CHANNEL_HOST = /^(?:www\.|m\.)?youtube\.com$/i;
/** A channel's own page: /@name, /channel/UC…, /c/name, /user/name, alone or on its home tab. */
const CHANNEL_ROOT = /^\/(@[^/]+|channel\/[^/]+|c\/[^/]+|user\/[^/]+)(?:\/featured)?\/?$/;

/**
 * The `/videos` tab of a YouTube channel link that names no tab (`https://www.youtube.com/@band`), or
 * undefined. yt-dlp lists such a link as its tabs (Videos, Shorts, Live), each of which was then taken for
 * one video: its download fetched a whole tab into one job's folder. The videos are what is meant.
 */
export function youtubeChannelVideos(link: string): string | undefined {
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    return undefined;
  }
  if (!CHANNEL_HOST.test(url.hostname)) return undefined;
  const root = CHANNEL_ROOT.exec(url.pathname)?.[1];
  return root === undefined ? undefined : `${url.origin}/${root}/videos${url.search}`;
}

/** A channel's page or one of its tabs: /@name/playlists, /channel/UC…/releases, /c/name, /user/name/podcasts. */
const CHANNEL_PAGE = /^\/(?:@[^/]+|channel\/[^/]+|c\/[^/]+|user\/[^/]+)(?:\/[a-z]+)?\/?$/;

/**
 * Whether a YouTube link names a list (a playlist, a channel, a channel's tab) rather than a video. A
 * channel's Playlists tab (and its Releases and Podcasts tabs) is listed by yt-dlp as playlists, not
 * videos: each of those entries is such a link, to be listed in turn (the videos of each playlist are
 * what a user subscribing to the tab means). A Mix is no list here (see youtubeMix).
 */
export function youtubeList(link: string): boolean {
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    return false;
  }
  if (!YOUTUBE_HOST.test(url.hostname) || url.hostname.toLowerCase() === 'youtu.be') return false;
  if (url.pathname === '/playlist') return url.searchParams.has('list') && youtubeMix(link) === undefined;
  return CHANNEL_PAGE.test(url.pathname);
}
