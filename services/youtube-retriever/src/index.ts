export { startYoutubeRetriever } from './start.ts';
export type { StartYoutubeRetrieverOptions } from './start.ts';
export { fetchYoutube, baseArgs, QUEUE_OF, RETRIEVER_NAME } from './fetch-youtube.ts';
export type { FetchYoutubeOptions } from './fetch-youtube.ts';
export { youtubeRetriever } from './youtube-retriever.ts';
export { API_DEFAULTS, YoutubeConfigSchema, loadYoutubeSettings, SERVICE_NAME } from './config.ts';
export type { YoutubeConfig, YoutubeSettings } from './config.ts';
export { createYtDlp, resolveYtDlp } from './yt-dlp.ts';
export type { YtDlp } from './yt-dlp.ts';
export { mapYtDlpError, isRetryableYtDlpError } from './yt-dlp-errors.ts';
export { checkDuration } from './duration.ts';
export { mapTags } from './tags.ts';
export { listEntries } from './info.ts';
export { startRetrieverHttp, API_TOKEN_ENV } from './http-server.ts';
export type { RetrieverHttp, StartRetrieverHttpOptions } from './http-server.ts';
export {
  doctorChecks,
  ytDlpCheck,
  youtubeCookiesCheck,
  ytDlpReleaseDate,
  YT_DLP_MAX_AGE_DAYS,
} from './doctor-checks.ts';
export { youtubeRetrieverService as service, youtubeRetrieverService } from './definition.ts';
export type { YoutubeServiceOptions } from './definition.ts';
export { YOUTUBE_ERRORS } from './errors.ts';
export { isDue, listSubscriptions, runDueSubscriptions, serveSubscriptions } from './subscriptions.ts';
export type { ListedSubscription, RunSubscriptionsOptions } from './subscriptions.ts';
