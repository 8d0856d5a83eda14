import { basename, dirname, join, resolve } from 'node:path';
import {
  QUEUE_NAMES,
  STATE_LAYOUT,
  newestMigrateCopies,
  parseMigrateCopyName,
  resolvePaths,
  serviceStatePaths,
} from '@imk/config';
import { listEntriesOrEmpty } from '@imk/fs-safe';
import {
  ARCHIVE_DIRS,
  isProducerTempName,
  listClaimHolders,
  listQueueNames,
  pruneJobIdOwners,
  type PrunedJobIdOwners,
} from '@imk/fsqueue';
import {
  REPLACED_DIR,
  earlierJobWorkDirName,
  isEarlierVersionReplaced,
  isPartialName,
  isStemCacheEntryName,
  isStemCacheTempName,
  jobWorkDirName,
  partialDirName,
  replacedFolderHold,
} from '@imk/protocol';
import { formatBytes, type Logger } from '@imk/log';
import { FIRST_CLEANUP_AFTER_MS, bytesFromMb, loadOperationsConfig, type RetentionConfig } from './config.ts';
import {
  applyCleanup,
  planCleanup,
  type CleanupEntry,
  type CleanupPlan,
  type CleanupProblem,
  type RetentionTarget,
} from './retention.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Sub-folders of a queue that hold archived jobs (fsqueue owns the queue layout). */
export const ARCHIVE_SUBDIRS = Object.values(ARCHIVE_DIRS);
/** Rebuildable caches live in `state/cache/<component>/`, one child per cached item (ImkPaths.cache). */
export const CACHE_DIR = STATE_LAYOUT.cache;
/** Scratch space of any service: `state/tmp/` (ImkPaths.tmp). */
export const TEMP_DIR = STATE_LAYOUT.tmp;

/**
 * Leftovers that can sit beside anything: atomic-write temps `.<name>.<pid>.<hex>.tmp`, temp outputs
 * `.<name>.tmp-<pid>-<hex>.<ext>`, a cache's `.tmp-<key>-<hex>/`. Always hidden names, which no job folder
 * (`job_<id>`, `outputs/<job_id>`: ids never start with a dot) and no cache entry can have.
 */
const isHiddenTempName = (name: string): boolean =>
  name.startsWith('.') && /\.tmp$|\.tmp-|\.partial$/.test(name);
/**
 * Temp names by place, each from the layout that owns the folder: a producer's unfinished bundle in a
 * queue folder (fsqueue), a worker's unfinished output folder in outputs/ (@imk/protocol). A job id may
 * contain `.tmp` or end in `.partial`, so a name rule that ignored the place would take a ready job or a
 * published output for a leftover.
 */
const isQueueTempName = (name: string): boolean => isProducerTempName(name) || isHiddenTempName(name);
const isOutputsTempName = (name: string): boolean => isPartialName(name) || isHiddenTempName(name);
/** Outputs replaced by a re-run are kept aside here (the outputs layout of @imk/protocol). */
export const REPLACED_OUTPUTS_DIR = REPLACED_DIR;

async function childDirs(dir: string): Promise<string[]> {
  const entries = await listEntriesOrEmpty(dir);
  return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

/**
 * The retention targets of a root, following the layout conventions:
 * - archives: `queues/<q>/{succeeded,failed,rejected}/*`, `outputs/.replaced/*`, and imk migrate's copies
 *   `state/migrate/<file>.<time>` (the newest copy of each file kept);
 * - caches: `state/cache/<component>/*` and `state/<service>/cache/*` (rebuildable), and the stem
 *   cache's own entries in a folder `stemCache.dir` moved it to (`extraCacheDirs`);
 * - temp: leftovers by name and place in queues, outputs and caches, and everything in `state/tmp/<owner>/*` and
 *   `state/<service>/work/*` (per-owner folders themselves are kept, since running services hold them).
 */
export async function retentionTargets(
  root: string,
  retention: RetentionConfig,
  extraCacheDirs: readonly string[] = [],
): Promise<RetentionTarget[]> {
  const paths = resolvePaths(root);
  // The queues as the worker and the CLI see them: a queue folder placed elsewhere with a link counts.
  const queueDirs = (await listQueueNames(paths.queues, QUEUE_NAMES)).map((q) => join(paths.queues, q));
  // Every other folder of state/ is a service's own (config's serviceStatePaths: its work/ and cache/).
  const services = (await childDirs(paths.state))
    .filter((d) => d !== paths.cache && d !== paths.tmp && d !== paths.migrate)
    .map((d) => serviceStatePaths(paths.state, basename(d)));
  // Folders under state/ belong to the product: every child is a cache entry or a leftover.
  const ownedCacheDirs = [...(await childDirs(paths.cache)), ...services.map((s) => s.cache)];
  // A folder moved by config (stemCache.dir) may hold anything else the user keeps there: only what the
  // stem cache's layout names (its entries and scratch folders) is ever counted or removed.
  // A cache pointed at one of the product's own folders (outputs/, a queue, state/) is not pruned there.
  const productDirs = [
    paths.root,
    paths.outputs,
    paths.queues,
    paths.state,
    paths.cache,
    paths.tmp,
    ...queueDirs,
  ];
  const foreignCacheDirs = new Set(
    extraCacheDirs
      .map((d) => resolve(d))
      .filter((d) => !ownedCacheDirs.includes(d) && !productDirs.includes(d)),
  );
  const cacheDirs = [...new Set([...ownedCacheDirs, ...foreignCacheDirs])];
  // Folders the user may have placed elsewhere with a link (a legacy queue folder, outputs/, a moved stem
  // cache): only product-named leftovers or the cache's own entries are ever taken from them. A link in
  // place of a folder whose every expired child goes (an archive folder, outputs/.replaced, a cache or
  // scratch folder under state/) is not followed.
  const configuredDirs = new Set([paths.outputs, ...queueDirs, ...foreignCacheDirs]);
  const mayBeLink = (dir: string): boolean => configuredDirs.has(dir);
  const limit = (value: number, unit: number): number | undefined => (value > 0 ? value * unit : undefined);
  const tempAge = retention.temp.maxAgeHours * HOUR_MS;
  // A claimed job is being worked on: its unfinished output folder and its scratch folders (named after
  // the job and the worker holding it) are kept whatever their age, like the claim itself. A long step
  // (a separation for hours) writes nothing into them for a while.
  const holders = (await Promise.all(queueDirs.map((dir) => listClaimHolders(dir)))).flat();
  // A worker of the scratch folders' earlier naming may still run on this state/ (one container upgraded
  // before another): its folder is kept too.
  const held = new Set(
    holders.flatMap((h) => [
      partialDirName(h.jobId, h.consumer),
      jobWorkDirName(h.jobId, h.consumer),
      earlierJobWorkDirName(h.jobId, h.consumer),
    ]),
  );
  const isHeld = (name: string): boolean => held.has(name);
  return [
    {
      name: 'archives',
      dirs: [
        ...queueDirs.flatMap((q) => ARCHIVE_SUBDIRS.map((sub) => join(q, sub))),
        join(paths.outputs, REPLACED_OUTPUTS_DIR),
      ],
      // The earlier Python version's outputs a new job of the same id moved aside: the user's library, kept.
      include: (name, dir) =>
        dir !== join(paths.outputs, REPLACED_OUTPUTS_DIR) || !isEarlierVersionReplaced(name),
      // A replaced folder of ours that holds a file a user put there (an earlier version moved it aside
      // with the job's files) stays until they take it out.
      hold: (path) =>
        dirname(path) === join(paths.outputs, REPLACED_OUTPUTS_DIR)
          ? replacedFolderHold(path)
          : Promise.resolve(undefined),
      maxAgeMs: limit(retention.archives.maxAgeDays, DAY_MS),
      maxTotalBytes: limit(bytesFromMb(retention.archives.maxTotalMb), 1),
    },
    {
      // imk migrate's copies of the config files it replaced: kept aside like replaced outputs, and the
      // newest copy of each file always stays (the last value before migrate's). Its record stays too.
      name: 'archives',
      dirs: [paths.migrate],
      include: (name) => parseMigrateCopyName(name) !== undefined,
      keep: (names) => newestMigrateCopies(names),
      maxAgeMs: limit(retention.archives.maxAgeDays, DAY_MS),
      maxTotalBytes: limit(bytesFromMb(retention.archives.maxTotalMb), 1),
    },
    {
      name: 'caches',
      dirs: cacheDirs,
      include: (name, dir) =>
        foreignCacheDirs.has(dir) ? isStemCacheEntryName(name) : !isHiddenTempName(name),
      mayBeLink,
      maxAgeMs: limit(retention.caches.maxAgeDays, DAY_MS),
      maxTotalBytes: limit(bytesFromMb(retention.caches.maxTotalMb), 1),
    },
    {
      name: 'temp',
      dirs: [...queueDirs, paths.outputs, ...cacheDirs],
      include: (name, dir) =>
        dir === paths.outputs
          ? isOutputsTempName(name) && !isHeld(name)
          : foreignCacheDirs.has(dir)
            ? isStemCacheTempName(name)
            : queueDirs.includes(dir)
              ? isQueueTempName(name)
              : isHiddenTempName(name),
      mayBeLink,
      maxAgeMs: tempAge,
    },
    {
      name: 'temp',
      dirs: [...(await childDirs(paths.tmp)), ...services.map((s) => s.work)],
      include: (name) => !isHeld(name),
      maxAgeMs: tempAge,
    },
  ];
}

export interface CleanupOptions {
  root: string;
  logger: Logger;
  /** Plan only: report what would be removed and remove nothing. @default false */
  dryRun?: boolean;
  /** @default read from config/operations.yaml */
  retention?: RetentionConfig;
  /**
   * Cache folders configured outside `state/cache/` (the worker's `stemCache.dir`): pruned under the same
   * `caches` limits. The CLI, which composes services, reads them from their configs.
   */
  extraCacheDirs?: readonly string[];
  /**
   * "Now" for every folder, on the file systems' clocks (tests: a pass as if run later). @default each
   * folder's own file system's "now", never this host's clock (see planCleanup)
   */
  now?: number;
}

export interface CleanupReport {
  dryRun: boolean;
  plan: CleanupPlan;
  removed: CleanupEntry[];
  freedBytes: number;
  /**
   * What could not be read (so was not judged) or not removed, each kept as it is; the rest of the pass
   * went on. Usually another user's files: fix their owner or permissions.
   */
  problems: CleanupProblem[];
  /**
   * The queue's job-id owner files (`queues/.imk-job-ids/`) of ids no queue holds any more, removed after
   * the archives (or, dry-run, that would be as things stand).
   */
  jobIdOwners: PrunedJobIdOwners;
}

/** One retention pass: plans, then (unless dry-run) deletes, logging every removal with its reason. */
export async function runCleanup(options: CleanupOptions): Promise<CleanupReport> {
  const retention = options.retention ?? (await loadOperationsConfig(options.root)).retention;
  const plan = await planCleanup(await retentionTargets(options.root, retention, options.extraCacheDirs), {
    ...(options.now !== undefined && { now: options.now }),
  });
  if (plan.hostClock.length > 0) options.logger.warn({ folders: plan.hostClock }, hostClockNote(plan));
  const dryRun = options.dryRun ?? false;
  const applied = dryRun ? { removed: [], problems: [] } : await applyCleanup(plan);
  const { removed } = applied;
  const problems = [...plan.problems, ...applied.problems];
  for (const problem of problems)
    options.logger.warn(
      { path: problem.path, target: problem.target, err: problem.message },
      `cleanup: kept ${problem.target} ${problem.path}: ${problem.message} (${PROBLEM_FIX})`,
    );
  for (const entry of plan.held)
    options.logger.warn(
      { path: entry.path, target: entry.target, reason: entry.reason },
      `cleanup: kept ${entry.target} ${entry.path}: ${entry.reason}`,
    );
  for (const entry of dryRun ? plan.remove : removed)
    options.logger.info(
      { path: entry.path, bytes: entry.bytes, reason: entry.reason, target: entry.target, dryRun },
      `cleanup: ${dryRun ? 'would remove' : 'removed'} ${entry.target} ${entry.path} (${formatBytes(entry.bytes)}, ${describeReason(entry)})`,
    );
  const freedBytes = (dryRun ? plan.remove : removed).reduce((sum, e) => sum + e.bytes, 0);
  // After the archives: an id whose last archived job just went is free, and its owner files with it.
  // A dry run counts the archives it would remove as gone, to say what the pass would do.
  const jobIdOwners = await pruneJobIdOwners(resolvePaths(options.root).queues, {
    dryRun,
    ...(dryRun && { gone: new Set(plan.remove.map((entry) => entry.path)) }),
  });
  if (jobIdOwners.removed.length > 0)
    options.logger.info(
      { removed: jobIdOwners.removed.length, kept: jobIdOwners.kept, dryRun },
      `cleanup: ${dryRun ? 'would remove' : 'removed'} ${jobIdOwners.removed.length} job id owner file(s) in queues/.imk-job-ids/ of ids no queue holds any more`,
    );
  if (jobIdOwners.removedTemps.length > 0)
    options.logger.info(
      { removed: jobIdOwners.removedTemps.length, dryRun },
      `cleanup: ${dryRun ? 'would remove' : 'removed'} ${jobIdOwners.removedTemps.length} temp file(s) in queues/.imk-job-ids/ left by claims that crashed`,
    );
  return { dryRun, plan, removed, freedBytes, problems, jobIdOwners };
}

/**
 * Said once per pass when the file system's clock could not be read in some folders (cleanup could not
 * write there for a moment): the ages of their entries were measured on this host's clock.
 */
export function hostClockNote(plan: CleanupPlan): string {
  const [first] = plan.hostClock;
  if (first === undefined) return '';
  const others = plan.hostClock.length - 1;
  return (
    `cleanup: measured the ages in ${first.dir}${others > 0 ? ` and ${others} other folder(s)` : ''} on this host's clock: ` +
    `the file system's clock could not be read there (${first.message}); if this host's clock is off the file ` +
    `server's, entries there go early or late: let the user cleanup runs as write to these folders`
  );
}

/** What to do about an entry cleanup could not read or remove. */
export const PROBLEM_FIX =
  'check its owner and permissions: the user cleanup runs as must be able to read and delete everything in it';

export function describeReason(entry: CleanupEntry): string {
  const days = entry.ageMs / DAY_MS;
  const age = days >= 1 ? `${days.toFixed(1)} days old` : `${(entry.ageMs / HOUR_MS).toFixed(1)} hours old`;
  return entry.reason === 'age'
    ? `older than the limit: ${age}`
    : `over the size limit, oldest first: ${age}`;
}

export interface CleanupScheduleOptions {
  root: string;
  logger: Logger;
  signal: AbortSignal;
  /** As for `runCleanup`: the worker's `stemCache.dir`, so the schedule prunes what `imk cleanup` prunes. */
  extraCacheDirs?: readonly string[];
  /** Milliseconds from start to the first run, when less than the interval. @default FIRST_CLEANUP_AFTER_MS */
  firstRunAfterMs?: number;
}

/**
 * Runs cleanup a minute after start (so that start-up stays quick), then every
 * `retention.intervalMinutes`, until the signal aborts. Waiting a whole interval first meant a web service
 * restarted more often than that (a nightly container restart with a daily interval) never cleaned.
 * Does nothing when `retention.enabled` is false.
 */
export async function startCleanupSchedule(options: CleanupScheduleOptions): Promise<{ stop: () => void }> {
  const { retention } = await loadOperationsConfig(options.root);
  const logger = options.logger.child({ component: 'cleanup' });
  if (!retention.enabled || options.signal.aborted) return { stop: () => undefined };
  let running = false;
  const run = (): void => {
    if (running) return;
    running = true;
    runCleanup({ root: options.root, logger, retention, extraCacheDirs: options.extraCacheDirs })
      .then((report) => {
        if (report.removed.length > 0)
          logger.info(
            { removed: report.removed.length, freedBytes: report.freedBytes },
            `cleanup: freed ${formatBytes(report.freedBytes)}`,
          );
      })
      .catch((error: unknown) => logger.error({ err: error }, 'cleanup failed'))
      .finally(() => (running = false));
  };
  const intervalMs = retention.intervalMinutes * 60_000;
  const first = setTimeout(run, Math.min(options.firstRunAfterMs ?? FIRST_CLEANUP_AFTER_MS, intervalMs));
  const timer = setInterval(run, intervalMs);
  first.unref();
  timer.unref();
  const stop = (): void => {
    clearTimeout(first);
    clearInterval(timer);
  };
  options.signal.addEventListener('abort', stop, { once: true });
  return { stop };
}
