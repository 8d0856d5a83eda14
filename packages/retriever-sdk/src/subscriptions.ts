import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { YOUTUBE_RETRIEVER, serviceStatePaths } from '@imk/config';
import { ImkError, isImkError, oneIssuePerField, orList } from '@imk/errors';
import { fileSystemNow, listNamesOrEmpty, passClock, readUntrustedJson, writeJsonAtomic } from '@imk/fs-safe';
import { FETCH_MODES, trimLink } from './url-retriever.ts';
import { MIX_NOT_SUBSCRIBABLE, youtubeMix } from './youtube-links.ts';
import './errors.ts';

// A subscription is a channel or playlist fetched again and again as it grows. Its on-disk homes (this
// module is the only one that spells them), all under `<state>/youtube-retriever/`:
//   subscriptions.json            the ones added from the dashboard (those from config live in the YAML)
//   subscriptions/<id>/status.json  the last run: when, what it fetched, what failed
//   subscriptions/<id>/download-archive-<kind>.txt  what this subscription already fetched

const UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const EVERY_PATTERN = /^(\d+[smhd])+$/;
/** Shortest interval between two runs of one subscription: sites rate-limit listings. */
export const MIN_EVERY_MS = 60_000;
/** Longest: a year and a day (`every: 100000000d` made a failed run's retry time one no date can hold). */
export const MAX_EVERY_MS = 366 * 86_400_000;

/** "6h", "30m", "1d", "1h30m" -> milliseconds; undefined when the text is not such a duration. */
export function parseEvery(text: string): number | undefined {
  const compact = text.replaceAll(' ', '').toLowerCase();
  if (!EVERY_PATTERN.test(compact)) return undefined;
  let total = 0;
  for (const [, count, unit] of compact.matchAll(/(\d+)([smhd])/g))
    total += Number(count) * UNITS_MS[unit as keyof typeof UNITS_MS];
  return total;
}

/** Milliseconds -> the shortest text parseEvery reads back ("5m", "1h30m"; under a second: "0s"). */
export function formatDuration(ms: number): string {
  let left = Math.max(0, Math.round(ms / 1000)) * 1000;
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const count = Math.floor(left / UNITS_MS[unit]);
    if (count > 0) parts.push(`${String(count)}${unit}`);
    left -= count * UNITS_MS[unit];
  }
  return parts.join('') || '0s';
}

/**
 * A duration field (`every`, `subscriptionRetry`): a text parseEvery reads, from MIN_EVERY_MS to MAX_EVERY_MS.
 * A bare number (`every: 30`, YAML's reading of an unquoted number) is refused with what to write instead.
 */
export function everySchema(fallback: string, examples: string) {
  const expected = `expected a duration of at least 1m and at most 366d, ${examples}`;
  return z
    .string({
      error: (issue) =>
        typeof issue.input !== 'number'
          ? undefined
          : issue.input > 0 && Number.isInteger(issue.input)
            ? `${expected}; a number needs its unit: ${String(issue.input)}m, ${String(issue.input)}h or ${String(issue.input)}d`
            : `${expected}; a number has no unit`,
    })
    .default(fallback)
    .refine(
      (text) => {
        const ms = parseEvery(text) ?? 0;
        return ms >= MIN_EVERY_MS && ms <= MAX_EVERY_MS;
      },
      { message: expected },
    );
}

export const SubscriptionSchema = z.object({
  url: z
    .string()
    // A link pasted with the space or line end around it (the dashboard's field, a YAML quoted by hand) is
    // the same list: untrimmed, " https://…" was refused as not a link and "https://… " was a second
    // subscription of its own (another id, archive and runs) beside the one without the space. So with a
    // zero-width space or a direction mark (trimLink).
    .overwrite(trimLink)
    .regex(/^https?:\/\//i, 'only http(s) links can be subscribed to')
    .refine((url) => youtubeMix(url) === undefined, { message: MIX_NOT_SUBSCRIBABLE })
    .describe('The channel or playlist page (any http(s) page yt-dlp lists, e.g. a /videos tab).'),
  mode: z
    .enum(FETCH_MODES)
    .optional()
    .describe(`What to fetch of each new entry: ${orList(FETCH_MODES)}; unset = defaultMode.`),
  every: everySchema('6h', 'such as 30m, 6h, 1d or 1h30m').describe(
    'How often the list is looked at: s, m, h, d, combined (1h30m); at least 1m, at most 366d.',
  ),
  limit: z
    .number({ error: 'expected a whole number of entries, at least 1 (such as 10)' })
    .int({ error: 'expected a whole number of entries, at least 1 (such as 10)' })
    .positive({
      error: 'expected at least 1: the most new entries fetched per run (to stop a subscription, remove it)',
    })
    .default(10)
    .describe('At most this many new entries are fetched per run; the rest wait for the next runs.'),
});
export type Subscription = z.output<typeof SubscriptionSchema>;

/**
 * The subscriptions of a config file: one per list and mode. A second one (the same url and mode, another
 * every or limit) never ran: subscriptions are kept by that pair (subscriptionId), and the first took it.
 */
export const SubscriptionListSchema = z.array(SubscriptionSchema).superRefine((list, ctx) => {
  const first = new Map<string, number>();
  list.forEach((subscription, index) => {
    const id = subscriptionId(subscription);
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: [index, 'url'],
        message: `the same list and mode as subscriptions.${String(earlier)}: only that one would run (with its every and limit); remove one of them`,
      });
  });
});
export type SubscriptionInput = z.input<typeof SubscriptionSchema>;

const DashboardFileSchema = z.object({
  schema_version: z.literal(1),
  // Strict, as the YAML is: a hand-edited `"evrey": "1h"` is refused naming it, not run every 6h unsaid.
  subscriptions: z.array(SubscriptionSchema.extend({ added_at: z.string() }).strict()),
});

export const SubscriptionStatusSchema = z.object({
  id: z.string(),
  url: z.string(),
  /**
   * ISO time the last run started, on the clock of the file system state/ is on (subscriptionsClock); the
   * next run is due `every` after it (also after a restart).
   */
  last_run_at: z.string(),
  ok: z.boolean(),
  fetched: z.array(z.string()),
  failed: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
  /**
   * What the run said without failing: lists among the entries not followed (a YouTube Mix, lists nested
   * deeper than one level), more entries than playlist.maxEntries. Absent when none.
   */
  warnings: z.array(z.string()).optional(),
  /** Why the whole run failed (the list could not be read, …). */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Runs in a row that failed whole (with `error`); absent after a run that read the list. */
  failures_in_a_row: z.number().int().positive().optional(),
  /** ISO time a failed run is tried again (sooner than `every`, see retryDelayMs), on the same clock. */
  retry_at: z.string().optional(),
});
export type SubscriptionStatus = z.infer<typeof SubscriptionStatusSchema>;

/**
 * How long after a run that failed whole (network down, yt-dlp could not read the list) the subscription is
 * tried again: `firstRetryMs`, doubled for each further failure in a row, never longer than `every`. A run
 * that reads the list puts it back on `every`.
 */
export function retryDelayMs(everyMs: number, firstRetryMs: number, failuresInARow: number): number {
  const doublings = Math.min(Math.max(failuresInARow - 1, 0), 30);
  return Math.min(everyMs, firstRetryMs * 2 ** doublings);
}

/** When a subscription runs next: `every` after the last run, sooner after a run that failed whole. */
export function nextRunAt(
  subscription: Pick<Subscription, 'every'>,
  status: SubscriptionStatus,
  firstRetryMs: number,
): number {
  const every = parseEvery(subscription.every) ?? 0;
  const last = Date.parse(status.last_run_at);
  if (status.error === undefined) return last + every;
  return last + retryDelayMs(every, firstRetryMs, status.failures_in_a_row ?? 1);
}

/** Where one installation keeps its subscriptions' files, from `<root>/state`. */
export function subscriptionPaths(stateDir: string) {
  const base = serviceStatePaths(stateDir, YOUTUBE_RETRIEVER).dir;
  return {
    dashboardFile: join(base, 'subscriptions.json'),
    dir: (id: string) => join(base, 'subscriptions', id),
    statusFile: (id: string) => join(base, 'subscriptions', id, 'status.json'),
  };
}

/**
 * "Now" on the clock of the file system the subscriptions' status files are on: read once, when first
 * asked (a private folder made in `subscriptions/` and removed at once; listSubscriptionStatuses skips it),
 * then moved on by this process's monotonic clock. Status times are written and judged on it, never on a
 * host's own clock: with state/ shared by two retrievers on different hosts, one a day ahead ran every
 * subscription the other had just run (fetching twice), one a day behind took every time for a clock that
 * went back and ran them too. Where it cannot be read, this host's clock.
 */
export function subscriptionsClock(stateDir: string): () => Promise<number> {
  const dir = subscriptionPaths(stateDir).dir('');
  return passClock(() =>
    mkdir(dir, { recursive: true })
      .then(() => fileSystemNow(dir))
      .catch(() => Date.now()),
  );
}

/** A stable name for a subscription (its archive and status folder), the same in config and dashboard. */
export function subscriptionId(subscription: { url: string; mode?: string | undefined }): string {
  const hash = createHash('sha256').update(`${subscription.url}\n${subscription.mode ?? ''}`);
  return hash.digest('hex').slice(0, 12);
}

const MAX_FILE_BYTES = 1024 * 1024;

async function readJsonIfPresent(file: string): Promise<unknown> {
  try {
    return await readUntrustedJson(file, { maxBytes: MAX_FILE_BYTES });
  } catch (error) {
    if (isImkError(error, 'FILE_MISSING')) return undefined;
    throw error;
  }
}

async function readDashboardFile(stateDir: string): Promise<z.output<typeof DashboardFileSchema>> {
  const file = subscriptionPaths(stateDir).dashboardFile;
  const json = await readJsonIfPresent(file);
  if (json === undefined) return { schema_version: 1, subscriptions: [] };
  const parsed = DashboardFileSchema.safeParse(json);
  if (!parsed.success)
    throw new ImkError(
      'INVALID_SUBSCRIPTIONS_FILE',
      `${file} is not a valid subscriptions file (${oneIssuePerField(parsed.error.issues, DashboardFileSchema)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}); fix or remove it`,
    );
  return parsed.data;
}

/** The subscriptions added from the dashboard (none when the file does not exist). */
export async function readDashboardSubscriptions(stateDir: string): Promise<Subscription[]> {
  const { subscriptions } = await readDashboardFile(stateDir);
  // One per id, the first: a file saved by an earlier version may hold one list twice ("…/list" and
  // "…/list ", before links were trimmed); both readers (the retriever's runs, the dashboard's rows) see one.
  const seen = new Set<string>();
  return subscriptions.flatMap(({ added_at: _added, ...subscription }) => {
    const id = subscriptionId(subscription);
    if (seen.has(id)) return [];
    seen.add(id);
    return [subscription];
  });
}

/**
 * Adds a subscription to the dashboard's file (written whole to a temp file and renamed), or says it is
 * already there. Callers in one process must not call it concurrently (the web service serialises).
 */
export async function addDashboardSubscription(
  stateDir: string,
  input: SubscriptionInput,
  now = new Date(),
): Promise<{ id: string; added: boolean; subscription: Subscription }> {
  const subscription = SubscriptionSchema.parse(input);
  const id = subscriptionId(subscription);
  const document = await readDashboardFile(stateDir);
  if (document.subscriptions.some((s) => subscriptionId(s) === id)) return { id, added: false, subscription };
  document.subscriptions.push({ ...subscription, added_at: now.toISOString() });
  const file = subscriptionPaths(stateDir).dashboardFile;
  await mkdir(dirname(file), { recursive: true });
  await writeJsonAtomic(file, document);
  return { id, added: true, subscription };
}

export async function readSubscriptionStatus(
  stateDir: string,
  id: string,
): Promise<SubscriptionStatus | undefined> {
  // A status file that cannot be read is as good as none: the subscription runs again and writes a new one.
  const json = await readJsonIfPresent(subscriptionPaths(stateDir).statusFile(id)).catch(() => undefined);
  const parsed = SubscriptionStatusSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

export async function writeSubscriptionStatus(stateDir: string, status: SubscriptionStatus): Promise<void> {
  const file = subscriptionPaths(stateDir).statusFile(status.id);
  await mkdir(dirname(file), { recursive: true });
  await writeJsonAtomic(file, status);
}

/** The status of every subscription that has run (config or dashboard), by id. */
export async function listSubscriptionStatuses(stateDir: string): Promise<Map<string, SubscriptionStatus>> {
  const statuses = new Map<string, SubscriptionStatus>();
  for (const id of await listNamesOrEmpty(subscriptionPaths(stateDir).dir(''))) {
    if (!/^[0-9a-f]{12}$/.test(id)) continue;
    const status = await readSubscriptionStatus(stateDir, id);
    if (status) statuses.set(id, status);
  }
  return statuses;
}
