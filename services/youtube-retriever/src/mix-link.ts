// A YouTube link to a video played inside a Mix (`watch?v=<id>&list=RD…`): what the address bar and the
// Share button give while YouTube plays its Mix of a song.

const YOUTUBE_HOSTS = /^(?:(?:www|m|music)\.)?youtube(?:-nocookie)?\.com$|^youtu\.be$/;
/** YouTube's ids of the lists it makes up from a song (Mix, My Mix, radio): endless, never the user's. */
const MIX_LIST = /^RD/;

/**
 * The Mix a link names a video in (its `list=` id), or undefined. A Mix is a list YouTube makes up around
 * the video and keeps extending; yt-dlp, told to expand playlists, fetched all of it (tens of songs) for a
 * link the user copied to fetch one. Such a link is fetched as the video it names. A link to a playlist of
 * someone's (`list=PL…`, `OLAK…` albums) is left as it is, and so is a link to a Mix alone (no video).
 */
export function mixOf(link: URL): string | undefined {
  if (!YOUTUBE_HOSTS.test(link.hostname.toLowerCase().replace(/\.$/, ''))) return undefined;
  const list = link.searchParams.get('list') ?? '';
  if (!MIX_LIST.test(list)) return undefined;
  const path = link.pathname.split('/').filter(Boolean);
  const namesVideo =
    (link.searchParams.get('v') ?? '') !== '' ||
    (link.hostname.toLowerCase().startsWith('youtu.be') && path.length === 1) ||
    (['shorts', 'live'].includes(path[0] ?? '') && path.length === 2);
  return namesVideo ? list : undefined;
}
