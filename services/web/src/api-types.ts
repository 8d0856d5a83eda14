/**
 * The JSON bodies the dashboard's API answers with, one name per route (types only). The route handlers
 * build their answers as these types (`satisfies`), and the browser modules in services/web/public import
 * them in JSDoc (`@typedef {import('../src/api-types.ts').JobSummary} JobSummary`): a change on either side
 * fails `npm run typecheck` on the other, with no build step for the page.
 */
import type { NotifyResult } from '@imk/notify';
import type {
  Subscription,
  SubscriptionStatus,
  UrlRequestAcceptedResponse,
  UrlRequestResponse,
} from '@imk/retriever-sdk';
import type { Snapshot } from './snapshot.ts';
import type { EngineFacts } from './system/engine-facts.ts';
import type { JobSummary, JobView } from './system/jobs.ts';
import type { OutputArtifact, OutputDetail, OutputSummary } from './system/outputs.ts';
import type { SyncEntry } from './system/sync-status.ts';

export type { NamedQueueCounts } from '@imk/fsqueue';
export type { ServiceState } from '@imk/service';
export type { UrlRequestAcceptedResponse, UrlRequestResponse } from '@imk/retriever-sdk';
export type { EngineFacts, JobSummary, OutputArtifact, OutputDetail, OutputSummary, Snapshot, SyncEntry };

/** Every refused request: `{ error: CODE, message }` with a 4xx/5xx status. */
export interface ApiError {
  error: string;
  message: string;
}

/** GET /api/status, and each `snapshot` event of GET /api/events. */
export type StatusResponse = Snapshot;

/** GET /api/jobs?state=&limit=: newest first. */
export type JobListResponse = JobSummary[];

/**
 * GET /api/jobs/<id>: what the ledger and the queue folders know (absent for a job known only by its
 * outputs), its published output, its sync deliveries and which actions the page offers.
 */
export type JobDetailResponse = Partial<JobView> & {
  output: OutputDetail | undefined;
  engine: EngineFacts | null;
  sync: SyncEntry[];
  syncEnabled: boolean;
  canRetry: boolean;
  /** What to do about a failed job instead of (or before) a retry, by its last error's code (retryAdviceOf). */
  retryAdvice: string | undefined;
  canCancel: boolean;
};

/** POST /api/jobs/<id>/retry (200) and /cancel (200 cancelled, 202 its worker was asked). */
export interface JobActionResponse {
  ok: true;
  job_id: string;
  queue: string;
  state: string;
}

/** GET /api/outputs: published outputs, newest first. */
export type OutputListResponse = OutputSummary[];

/** GET /api/outputs/<id>. */
export type OutputDetailResponse = OutputDetail & { sync: SyncEntry[] };

/** GET /api/notifications: the last notification and media-server refresh results. */
export interface NotificationsResponse {
  results: NotifyResult[];
}

/** One row of the subscriptions card; a subscription from config is known by its status (url, last run). */
export type SubscriptionRow = {
  id: string;
  source: 'config' | 'dashboard';
  status: SubscriptionStatus | null;
} & (Subscription | { url: string });

/** GET /api/subscriptions. */
export interface SubscriptionsResponse {
  subscriptions: SubscriptionRow[];
}

/** POST /api/subscriptions: 201 added, 200 it was there already. */
export interface SubscriptionAddedResponse {
  id: string;
  added: boolean;
  subscription: Subscription;
}

/** One cached stem the page's mixer plays, at `url` (GET /api/jobs/<id>/stems/<name>.wav). */
export interface MixerStem {
  name: string;
  url: string;
}

/** GET /api/jobs/<id>/mixer: the cached stems, or why there are none (`message`). */
export interface MixerResponse {
  available: boolean;
  message?: string;
  stems: MixerStem[];
  /** The highest level a saved mix may give a stem (protocol's STEM_LEVEL_RANGE), when the stems are here. */
  levelMax?: number;
  /** The stems left the cache, and the song's bundle is archived: the page offers "Separate again". */
  canSeparateAgain?: boolean;
  /**
   * The stems are not here, but the worker can make a mix (it separates the archived song again): the page
   * offers to save a mix by its levels, without listening.
   */
  canSaveWithoutStems?: boolean;
  /** A "Separate again" job on its way (waiting or running): the page follows it. */
  again?: { job_id: string; queue: string };
}

/** POST /api/jobs/<id>/mix, 202: the remix job that renders the saved mix. */
export interface MixQueuedResponse {
  job_id: string;
  queue: string;
  /** The variant the mix is added as (its name, key and tempo in the one spelling): the page looks for it. */
  variant: string;
  /** The stems were not in this host's cache: the worker separates the song again (minutes). */
  separatesAgain?: boolean;
  message?: string;
}

/**
 * POST /api/jobs/<id>/mix, 200: this mix (its file, its levels) is in the job's outputs already; nothing
 * was queued. `path` is the file in outputs/<job_id>/ (`job_id`).
 */
export interface MixAlreadySavedResponse {
  already: true;
  job_id: string;
  variant: string;
  path: string;
  message: string;
}

/** POST /api/upload, 201. */
export interface UploadResponse {
  job_ids: string[];
  queue: string;
}

/** POST /api/requests (the URL retrievers' route, served by the same server). */
export type RequestResponse = UrlRequestResponse | UrlRequestAcceptedResponse;
