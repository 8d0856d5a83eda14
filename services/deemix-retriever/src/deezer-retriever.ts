import { andList } from '@imk/errors';
import type { UrlRetriever } from '@imk/retriever-sdk';
import { loadDeemixSettings } from './config.ts';
import { DEEZER_KINDS, isDeezerUrl } from './deezer-url.ts';
import { fetchDeezer, RETRIEVER_NAME } from './fetch-deezer.ts';

/** Takes every deezer.com link (and explains when it is not a track, album or playlist). */
export const deezerRetriever: UrlRetriever = {
  name: RETRIEVER_NAME,
  accepts: `Deezer ${andList(DEEZER_KINDS)} links`,
  matches: isDeezerUrl,
  fetch: (url, options) => fetchDeezer(url, options),
  // Deezer gives audio only: its request files carry no mode line.
  requestFolder: async (root) => ({
    dir: (await loadDeemixSettings(root)).requestsDir,
    extension: '.deezer',
    modes: false,
  }),
};
