import { deezerRetriever } from '@imk/deemix-retriever-service';
import { pickRetriever, type FetchOptions, type FetchResult, type UrlRetriever } from '@imk/retriever-sdk';
import { youtubeRetriever } from './youtube-retriever.ts';

/** Deezer links to deemix, every other http(s) link to yt-dlp: the order matters (first match wins). */
export const URL_RETRIEVERS: readonly UrlRetriever[] = [deezerRetriever, youtubeRetriever];

/** Fetches a URL with the retriever that takes it (`imk fetch`, POST /api/requests). */
export async function fetchUrl(
  url: string,
  options: FetchOptions,
  retrievers: readonly UrlRetriever[] = URL_RETRIEVERS,
): Promise<FetchResult> {
  const picked = pickRetriever(retrievers, url);
  return picked.retriever.fetch(picked.url.href, options);
}
