// What a retriever's config schema needs (`@imk/retriever-sdk/config-schema`), without the request folder,
// the queue or ffmpeg: `imk doctor` and the config reference read every retriever's schema.
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_STABLE_CHECKS,
  RETRY_DEFAULTS,
  loadRetrieverSettings,
  requestFolderFields,
} from './settings.ts';
export type { RetrieverSettingsBase } from './settings.ts';
export { FETCH_MODES } from './url-retriever.ts';
export {
  MIN_EVERY_MS,
  SubscriptionListSchema,
  SubscriptionSchema,
  everySchema,
  parseEvery,
} from './subscriptions.ts';
