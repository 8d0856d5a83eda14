export {
  AppriseTargetSchema,
  NOTIFY_CONFIG,
  NotifyConfigSchema,
  NotifyRetrySchema,
  NotifyTargetSchema,
  NtfyTargetSchema,
  WebhookTargetSchema,
  eventEnabled,
  loadNotifyConfig,
  targetName,
} from './config.ts';
export type { NotifyConfig, NotifyRetry, NotifyTarget } from './config.ts';
export { EVENT_KEYS, NOTIFY_EVENTS, NotifyEventSchema, jobEvent, syncEvent } from './events.ts';
export type { JobEventFacts, NotifyEvent, NotifyEventInput, NotifyEventType, SyncedFile } from './events.ts';
export { createNotifier, retryDelayMs } from './notifier.ts';
export type { Notifier, NotifierOptions } from './notifier.ts';
export { NOTIFY_CONFIG_CHECK_MS, notificationsHealthCheck, openNotifier } from './open.ts';
export { DIGEST_AFTER, DIGEST_WINDOW_MS } from './digest.ts';
export { notifyProgramsCheck } from './programs-check.ts';
export { notifySecretsCheck } from './secrets-check.ts';
export { mediaServerSecretProblems, SECRET_FIX } from './secrets.ts';
export type { NotifierHandle } from './open.ts';
export { NotifyResultSchema, readNotifyResults, recordResult } from './results.ts';
export type { NotifyResult } from './results.ts';
export { SIGNATURE_HEADER, signBody } from './senders/webhook.ts';
export { appriseUrls } from './senders/apprise.ts';
export { notifyDir } from './store.ts';
export { STALE_CLAIM_MS } from './outbox.ts';
export {
  JellyfinServerSchema,
  MEDIA_REFRESH_MIN_INTERVAL_SEC,
  MediaServerSchema,
  PlexServerSchema,
  SubsonicServerSchema,
} from './media/schema.ts';
export type { MediaServer } from './media/schema.ts';
export { refreshMediaServer, serverPath } from './media/refresh.ts';
export type { RefreshOptions } from './media/refresh.ts';
export { REFRESH_DEFAULTS, readRefreshOwed, runRefreshes } from './media/run-refreshes.ts';
export type { RefreshOwedState } from './media/run-refreshes.ts';
export type { RefreshOutcome, RunRefreshesOptions } from './media/run-refreshes.ts';
export { createRefreshScheduler } from './media/refresh-scheduler.ts';
export type { RefreshScheduler, RefreshSchedulerOptions } from './media/refresh-scheduler.ts';
export { NOTIFY_ERRORS } from './errors.ts';
