import type { UrlRetriever } from '@imk/retriever-sdk';
import { loadYoutubeSettings } from './config.ts';
import { fetchYoutube, RETRIEVER_NAME } from './fetch-youtube.ts';

/**
 * yt-dlp takes YouTube and a thousand other sites, so this retriever takes any http(s) URL that a more
 * specific retriever (Deezer) did not: put it last in a list.
 */
export const youtubeRetriever: UrlRetriever = {
  name: RETRIEVER_NAME,
  accepts: 'YouTube links (and other http(s) video pages yt-dlp supports)',
  matches: (url) => url.protocol === 'http:' || url.protocol === 'https:',
  fetch: (url, options) => fetchYoutube(url, options),
  requestFolder: async (root) => ({
    dir: (await loadYoutubeSettings(root)).requestsDir,
    extension: '.txt',
    modes: true,
  }),
};
