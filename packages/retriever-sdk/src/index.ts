export { createBundle } from './bundle.ts';
export type { AddFileOptions, Bundle, CreateBundleOptions, Tags } from './bundle.ts';
export { jobIdPart, makeJobId, readableName } from './job-id.ts';
export { runPollLoop, sleep } from './poll.ts';
export type { PollLoopOptions } from './poll.ts';
export { withRetry } from './retry.ts';
export type { RetryOptions } from './retry.ts';
export { createStabilityTracker, listFiles } from './stable-files.ts';
export { isHousekeepingName } from './housekeeping.ts';
export type { FileSnapshot, StabilityOptions, StabilityTracker } from './stable-files.ts';
// Its home is @imk/fs-safe (queues rename such names too); re-exported for retrievers that use it.
export { renameNamesNotUtf8 } from '@imk/fs-safe';
export type { RenamedEntry } from '@imk/fs-safe';
export { createRequestFolder } from './request-folder.ts';
export type {
  HandledRequest,
  RequestFile,
  RequestFolder,
  RequestFolderOptions,
  RequestResult,
} from './request-folder.ts';
export {
  FETCH_MODES,
  describeResult,
  emptyResult,
  fetchUrl,
  linkWithoutCredentials,
  parseHttpUrl,
  trimLink,
  pickRetriever,
} from './url-retriever.ts';
export type {
  FetchFailure,
  FetchMode,
  FetchOptions,
  FetchResult,
  FetchSkip,
  FetchedJob,
  UrlRequestFolderSpec,
  UrlRetriever,
} from './url-retriever.ts';
export { writeUrlRequestFile } from './url-request-file.ts';
export { createRetrieverRoutes, retrieverRoutes } from './http-routes.ts';
export type {
  RetrieverRoutesOptions,
  UrlRequestAcceptedResponse,
  UrlRequestResponse,
} from './http-routes.ts';
export type { PublishedBundle } from '@imk/fsqueue';
// Whether a job id is taken in a queue (and what to tell the user), before anything is downloaded for it.
export { existingJob } from '@imk/fsqueue';
export { createUrlRequestFolder } from './url-request-folder.ts';
export type { UrlRequestFolderOptions } from './url-request-folder.ts';
export { extractCover, imageAsJpeg } from './cover.ts';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_STABLE_CHECKS,
  RETRY_DEFAULTS,
  loadRetrieverSettings,
  requestFolderFields,
} from './settings.ts';
export type { RetrieverSettingsBase } from './settings.ts';
export { RETRIEVER_ERRORS } from './errors.ts';
export {
  MIN_EVERY_MS,
  SubscriptionSchema,
  SubscriptionStatusSchema,
  addDashboardSubscription,
  formatDuration,
  listSubscriptionStatuses,
  nextRunAt,
  parseEvery,
  readDashboardSubscriptions,
  readSubscriptionStatus,
  retryDelayMs,
  subscriptionId,
  subscriptionPaths,
  subscriptionsClock,
  writeSubscriptionStatus,
} from './subscriptions.ts';
export type { Subscription, SubscriptionInput, SubscriptionStatus } from './subscriptions.ts';
export { MIX_NOT_SUBSCRIBABLE, youtubeChannelVideos, youtubeList, youtubeMix } from './youtube-links.ts';
export type { YoutubeMix } from './youtube-links.ts';
