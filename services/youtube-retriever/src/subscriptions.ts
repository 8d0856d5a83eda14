import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, isImkError, stopCame } from '@imk/errors';
import type { Logger } from '@imk/log';
import {
  formatDuration,
  nextRunAt,
  parseEvery,
  readDashboardSubscriptions,
  readSubscriptionStatus,
  subscriptionId,
  subscriptionPaths,
  subscriptionsClock,
  writeSubscriptionStatus,
  type FetchResult,
  type Subscription,
  type SubscriptionStatus,
  MIN_EVERY_MS,
} from '@imk/retriever-sdk';
import type { YoutubeSettings } from './config.ts';
import { fetchYoutube, type FetchYoutubeOptions } from './fetch-youtube.ts';

export interface ListedSubscription {
  id: string;
  source: 'config' | 'dashboard';
  subscription: Subscription;
}

/** What a loop listing subscriptions tick after tick said last (serveSubscriptions keeps one). */
export interface SubscriptionsMemory {
  /** The last problem said of the dashboard's file: said again only when it changes, not every tick. */
  dashboardProblem?: string | undefined;
  /** Dashboard subscriptions already said to be the same as one of the YAML (by id): said once each. */
  shadowed?: Set<string>;
}

/**
 * The subscriptions of config/youtube-retriever.yaml, then those added from the dashboard (one per id).
 * The dashboard's file may be edited by hand (that is how one is removed): when it cannot be read, that
 * is said in the log (with the file and what is wrong) and the YAML's subscriptions still run.
 */
export async function listSubscriptions(
  settings: YoutubeSettings,
  logger?: Logger,
  memory: SubscriptionsMemory = {},
): Promise<ListedSubscription[]> {
  const listed = new Map<string, ListedSubscription>();
  const add = (source: ListedSubscription['source']) => (subscription: Subscription) => {
    const id = subscriptionId(subscription);
    const known = listed.get(id);
    if (!known) listed.set(id, { id, source, subscription });
    else if (source === 'dashboard' && !(memory.shadowed ??= new Set()).has(id)) {
      // Added from the dashboard (which said "added") when the YAML already had it: the YAML's every and
      // limit are the ones used; said once, so that the dashboard's are not thought to count.
      memory.shadowed.add(id);
      logger?.warn(
        { subscription: id, url: subscription.url },
        `the subscription added from the dashboard for ${subscription.url} (${subscription.mode ?? 'default mode'}) is also in config/youtube-retriever.yaml: the YAML's (every ${known.subscription.every}, limit ${String(known.subscription.limit)}) is the one that runs; remove one of them`,
      );
    }
  };
  settings.subscriptions.forEach(add('config'));
  let dashboard: Subscription[] = [];
  try {
    dashboard = await readDashboardSubscriptions(settings.stateDir);
    memory.dashboardProblem = undefined;
  } catch (error) {
    const problem = errorMessage(error);
    if (problem !== memory.dashboardProblem)
      logger?.error(
        { code: isImkError(error) ? error.code : undefined },
        `subscriptions added from the dashboard are skipped until their file is fixed: ${problem}`,
      );
    memory.dashboardProblem = problem;
  }
  dashboard.forEach(add('dashboard'));
  return [...listed.values()];
}

/**
 * Due when never run, when `every` has passed since the recorded start (after a run that failed whole: the
 * shorter retry wait, see nextRunAt), or when the clock went back.
 */
export function isDue(
  subscription: Subscription,
  status: SubscriptionStatus | undefined,
  now: Date,
  firstRetryMs: number,
): boolean {
  if (!status) return true;
  const last = Date.parse(status.last_run_at);
  if (!Number.isFinite(last) || last > now.getTime()) return true;
  return now.getTime() >= nextRunAt(subscription, status, firstRetryMs);
}

export interface RunSubscriptionsOptions {
  settings: YoutubeSettings;
  logger: Logger;
  signal?: AbortSignal | undefined;
  /**
   * "Now" on the clock the status files' times are on. @default that of the file system state/ is on
   * (subscriptionsClock), never this host's: retrievers on several hosts may share state/
   */
  now?: Date;
  /** @default fetchYoutube */
  fetch?: (url: string, options: FetchYoutubeOptions) => Promise<FetchResult>;
  /** What the previous runs of this loop said (serveSubscriptions' own); none: everything is said. */
  memory?: SubscriptionsMemory;
}

/**
 * Runs every subscription that is due, one after another: lists its page, fetches at most `limit` entries
 * not in its own download archive, and records the run in its status file (the start time, so the
 * schedule survives restarts). A subscription that fails is recorded with its error; the others still run.
 */
export async function runDueSubscriptions(options: RunSubscriptionsOptions): Promise<SubscriptionStatus[]> {
  const { settings, signal } = options;
  const logger = options.logger.child({ component: 'subscriptions' });
  const fetch = options.fetch ?? fetchYoutube;
  const firstRetryMs = parseEvery(settings.subscriptionRetry) ?? MIN_EVERY_MS;
  const ran: SubscriptionStatus[] = [];
  const clock = subscriptionsClock(settings.stateDir);
  for (const { id, subscription } of await listSubscriptions(settings, logger, options.memory)) {
    if (signal?.aborted) break;
    const now = options.now ?? new Date(await clock());
    const previous = await readSubscriptionStatus(settings.stateDir, id);
    if (!isDue(subscription, previous, now, firstRetryMs)) continue;
    const status: SubscriptionStatus = {
      id,
      url: subscription.url,
      last_run_at: now.toISOString(),
      ok: true,
      fetched: [],
      failed: [],
    };
    try {
      const result = await fetch(subscription.url, {
        root: settings.root,
        logger: logger.child({ subscription: id }),
        signal,
        mode: subscription.mode ?? settings.defaultMode,
        limit: subscription.limit,
        settings: {
          ...settings,
          archiveDir: subscriptionPaths(settings.stateDir).dir(id),
          downloadArchive: { ...settings.downloadArchive, enabled: true },
          playlist: { ...settings.playlist, expand: true },
        },
      });
      status.fetched = result.jobs.map((job) => job.jobId);
      status.failed = result.failures.map(({ id: jobId, code, message }) => ({
        id: jobId ?? subscription.url,
        code,
        message,
      }));
      if (result.warnings.length > 0) status.warnings = result.warnings;
      status.ok = status.failed.length === 0;
    } catch (error) {
      // Stopping is not a failed run: no status, so it runs again after the restart.
      if (stopCame(signal, error)) break;
      status.ok = false;
      status.error = { code: isImkError(error) ? error.code : 'FAILED', message: errorMessage(error) };
      // Tried again sooner than `every` (a network blip must not cost a 6-hour wait), backing off.
      status.failures_in_a_row = (previous?.error ? (previous.failures_in_a_row ?? 1) : 0) + 1;
      status.retry_at = new Date(nextRunAt(subscription, status, firstRetryMs)).toISOString();
    }
    await writeSubscriptionStatus(settings.stateDir, status);
    const summary = {
      subscription: id,
      url: subscription.url,
      fetched: status.fetched.length,
      ...(status.warnings && { warnings: status.warnings }),
    };
    if (status.ok)
      logger.info(
        summary,
        status.warnings ? `subscription checked: ${status.warnings.join('; ')}` : 'subscription checked',
      );
    else if (status.error && status.retry_at)
      logger.warn(
        {
          ...summary,
          code: status.error.code,
          failures_in_a_row: status.failures_in_a_row,
          retry_at: status.retry_at,
        },
        `subscription run failed (${String(status.failures_in_a_row)} in a row); trying again in ${formatDuration(Date.parse(status.retry_at) - now.getTime())}: ${status.error.message}`,
      );
    else
      logger.warn(
        { ...summary, failed: status.failed.length, err: status.error?.message },
        'subscription run had failures',
      );
    ran.push(status);
  }
  return ran;
}

/** Looks for due subscriptions every `tickMs` until the signal aborts; a failing tick is logged, not fatal. */
export async function serveSubscriptions(
  options: RunSubscriptionsOptions & { signal: AbortSignal; tickMs: number },
): Promise<void> {
  // This loop's own memory: a problem said at one tick is not said again at the next.
  const memory: SubscriptionsMemory = {};
  while (!options.signal.aborted) {
    try {
      await runDueSubscriptions({ ...options, memory });
    } catch (error) {
      options.logger.error({ err: errorMessage(error) }, 'subscriptions could not be checked');
    }
    await sleep(options.tickMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
