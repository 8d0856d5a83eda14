import { deezerRetriever } from '@imk/deemix-retriever-service';
import type { UrlRetriever } from '@imk/retriever-sdk';
import { youtubeRetriever } from '@imk/youtube-retriever-service';

/**
 * Every URL retriever, in the order they are asked (the first that takes a URL wins): Deezer links to
 * deemix, every other http(s) link to yt-dlp. `imk fetch`, POST /api/requests in the web service and the
 * YouTube retriever's own HTTP API all use this list; add a retriever here.
 */
export const URL_RETRIEVERS: readonly UrlRetriever[] = [deezerRetriever, youtubeRetriever];
