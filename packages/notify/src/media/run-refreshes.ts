import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '@imk/errors';
import { fileSystemNow, passClock, readUntrustedText, writeJsonAtomic } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { recordResult } from '../results.ts';
import { refreshOwedDir } from '../store.ts';
import { refreshMediaServer } from './refresh.ts';
import type { MediaServer } from './schema.ts';

/** The defaults of runRefreshes' options, each written here only. */
export const REFRESH_DEFAULTS = {
  /** Tries of a refresh that carries newly delivered files (one for a pass that only owes earlier ones). */
  attempts: 3,
  firstDelayMs: 2000,
  timeoutMs: 15_000,
  owedRetryMs: 60_000,
  /** A refresh still unanswered after this is said once to be slow (the running service; refresh-scheduler.ts). */
  slowAfterMs: 5000,
} as const;
/** The longest wait before a server owed files is asked again. */
const OWED_RETRY_MAX_MS = 3_600_000;

export interface RunRefreshesOptions {
  servers: Readonly<Record<string, MediaServer>>;
  /** Server name → the paths delivered for it in this pass. */
  delivered: ReadonlyMap<string, readonly string[]>;
  /** ImkPaths.state: each try is recorded beside the notifications (the dashboard shows both). */
  stateDir: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Tries of a refresh carrying new files. @default REFRESH_DEFAULTS.attempts */
  attempts?: number;
  /** Wait before the second try, doubled after each. @default REFRESH_DEFAULTS.firstDelayMs */
  firstDelayMs?: number;
  /** How long one refresh request may take. @default REFRESH_DEFAULTS.timeoutMs */
  timeoutMs?: number;
  /**
   * A server owed files it missed is asked again by a pass that delivers nothing to it no sooner than
   * this after its last try, doubled after each failed one (at most an hour). @default REFRESH_DEFAULTS.owedRetryMs
   */
  owedRetryMs?: number;
  /**
   * Told of each failed try instead of the log: the running service says a server that stays down once
   * ("down", then "answers again"), counting the tries between (refresh-scheduler.ts). @default each failed try is logged
   */
  onFailedTry?: (name: string, failure: { attempt: number; final: boolean; message: string }) => void;
  /** Told as each try asks the server (the running service times an unanswered one: "slow"). */
  onTry?: (name: string, attempt: number) => void;
}

interface Owed {
  paths: string[];
  /** Failed tries so far. */
  tries: number;
  /**
   * Not asked again by a pass without deliveries before this time (ms since the epoch, on the clock of the
   * file system state/ is on: see runClock).
   */
  next_at: number;
  /** When the first of the failed tries in a row was made (ISO), and what the last one said. */
  down_since?: string;
  last_error?: string;
}

/** The most paths a server is owed; past that, the oldest are dropped (a Plex scan of >10 folders is one of the section anyway). */
const MAX_OWED = 5000;
/** Largest owed-paths file read (MAX_OWED paths of up to 4 KB each). */
const OWED_MAX_BYTES = MAX_OWED * 4096;

/** `state/notify/refresh-owed/<server>.json`: the paths a server missed while it was down, and when to ask again. */
function owedFile(stateDir: string, name: string): string {
  return join(refreshOwedDir(stateDir), `${encodeURIComponent(name)}.json`);
}

/**
 * Read, change and write one server's owed file one after the other in this process: the scheduler saves
 * files delivered while a refresh runs, and the refresh settles what it reported, each a read and a write;
 * interleaved, one write lost the other's paths.
 */
const owedWrites = new Map<string, Promise<unknown>>();
function withOwed<T>(stateDir: string, name: string, change: () => Promise<T>): Promise<T> {
  const file = owedFile(stateDir, name);
  const done = (owedWrites.get(file) ?? Promise.resolve()).then(change, change);
  const tail = done.catch(() => undefined);
  owedWrites.set(file, tail);
  void tail.then(() => {
    if (owedWrites.get(file) === tail) owedWrites.delete(file);
  });
  return done;
}

async function readOwed(stateDir: string, name: string): Promise<Owed> {
  try {
    // Through fs-safe: a FIFO or a link in the state folder is refused (then nothing is owed), never waited on.
    const text = await readUntrustedText(owedFile(stateDir, name), { maxBytes: OWED_MAX_BYTES });
    const json = JSON.parse(text) as Partial<Owed>;
    return {
      paths: Array.isArray(json.paths) ? json.paths.filter((p): p is string => typeof p === 'string') : [],
      tries: typeof json.tries === 'number' ? json.tries : 0,
      next_at: typeof json.next_at === 'number' ? json.next_at : 0,
      ...(typeof json.down_since === 'string' && { down_since: json.down_since }),
      ...(typeof json.last_error === 'string' && { last_error: json.last_error }),
    };
  } catch {
    return { paths: [], tries: 0, next_at: 0 };
  }
}

/**
 * Adds paths to what a server is owed, keeping its failed tries. `due`: asked by the next pass (next_at 0),
 * as the refreshes a stopping service still held back are by the next start (refresh-scheduler.ts);
 * otherwise its retry time is kept (paths kept in case the process dies before their refresh).
 */
export async function keepOwed(
  stateDir: string,
  name: string,
  paths: readonly string[],
  due: boolean,
): Promise<void> {
  if (paths.length === 0) return;
  await withOwed(stateDir, name, async () => {
    const owed = await readOwed(stateDir, name);
    await mkdir(refreshOwedDir(stateDir), { recursive: true });
    await writeJsonAtomic(owedFile(stateDir, name), {
      ...owed,
      paths: [...new Set([...owed.paths, ...paths])].slice(-MAX_OWED),
      next_at: due ? 0 : owed.next_at,
    } satisfies Owed);
  });
}

/** A server's state as its owed file says: failed tries in a row, since when, the last error, files waiting. */
export interface RefreshOwedState {
  server: string;
  files: number;
  tries: number;
  downSince: string | undefined;
  lastError: string | undefined;
}

/** What each server of `names` is owed (a health check's reading; no server is asked). */
export async function readRefreshOwed(
  stateDir: string,
  names: readonly string[],
): Promise<RefreshOwedState[]> {
  return Promise.all(
    names.map(async (server) => {
      const owed = await readOwed(stateDir, server);
      return {
        server,
        files: owed.paths.length,
        tries: owed.tries,
        downSince: owed.down_since,
        lastError: owed.last_error,
      };
    }),
  );
}

/**
 * What a run did for one server: asked it and it answered, asked it and it failed for good, asked nothing,
 * or was cut short by the service stopping (`cut`: its files are owed, due at the next start; no failed try).
 */
export type RefreshOutcome = 'refreshed' | 'failed' | 'idle' | 'cut';

/**
 * "Now" on the clock of the file system `state/` is on, for one run: read once, when a retry time is first
 * judged or written (a private folder made in refresh-owed/ and removed at once), then moved on by this
 * process's monotonic clock. With state/ shared by hosts, a retry time one host wrote is judged by another:
 * on their own clocks, one a day behind wrote times already past for the others (a server that stays down
 * asked at every pass), one a day ahead made them wait a day. Where it cannot be read, this host's clock.
 */
function runClock(stateDir: string): () => Promise<number> {
  return passClock(() => fileSystemNow(refreshOwedDir(stateDir)).catch(() => Date.now()));
}

/**
 * Asks each media server to pick up what a pass delivered, retrying with backoff. A server that stays
 * down is logged and recorded; it never fails the pass. What it missed is kept in the state folder and
 * asked again with the next refresh of that server, or by a later pass that delivers nothing to it (once,
 * after a wait that doubles), until the server answers: files delivered while it restarted are not left
 * unscanned.
 */
export async function runRefreshes(options: RunRefreshesOptions): Promise<Map<string, RefreshOutcome>> {
  const logger = options.logger.child({ component: 'media-refresh' });
  const now = runClock(options.stateDir);
  const outcomes = new Map<string, RefreshOutcome>();
  await Promise.all(
    Object.keys(options.servers).map(async (name) => {
      outcomes.set(name, 'idle');
      const server = options.servers[name]!;
      const fresh = options.delivered.get(name) ?? [];
      const owed = await readOwed(options.stateDir, name);
      const paths = [...new Set([...owed.paths, ...fresh])];
      if (paths.length === 0) return;
      // A pass that owes only earlier files tries once, and only when that server's wait is over (a
      // server that stays down, or a wrong token, is not asked, logged and recorded at every pass).
      if (fresh.length === 0 && (await now()) < owed.next_at) return;
      const attempts = fresh.length > 0 ? (options.attempts ?? REFRESH_DEFAULTS.attempts) : 1;
      // Read again under the file's turn: files saved while this refresh ran (refresh-scheduler) are kept.
      const settle = (ok: boolean, error?: string) =>
        withOwed(options.stateDir, name, async () => {
          const file = owedFile(options.stateDir, name);
          const current = await readOwed(options.stateDir, name);
          if (ok) {
            const reported = new Set(paths);
            const left = current.paths.filter((path) => !reported.has(path));
            if (left.length === 0) await rm(file, { force: true });
            else await writeJsonAtomic(file, { paths: left, tries: 0, next_at: 0 } satisfies Owed);
            return;
          }
          const tries = current.tries + 1;
          const wait = Math.min(
            OWED_RETRY_MAX_MS,
            (options.owedRetryMs ?? REFRESH_DEFAULTS.owedRetryMs) * 2 ** (tries - 1),
          );
          await mkdir(refreshOwedDir(options.stateDir), { recursive: true });
          await writeJsonAtomic(file, {
            paths: [...new Set([...current.paths, ...paths])].slice(-MAX_OWED),
            tries,
            next_at: (await now()) + wait,
            down_since: current.down_since ?? new Date(await now()).toISOString(),
            ...(error !== undefined && { last_error: error }),
          } satisfies Owed);
        });
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const at = () => new Date().toISOString();
        const base = {
          event: 'refresh',
          target: name,
          attempt,
          title: `${paths.length} new file${paths.length === 1 ? '' : 's'}`,
        };
        try {
          options.onTry?.(name, attempt);
          const done = await refreshMediaServer(server, name, paths, {
            env: options.env ?? process.env,
            timeoutMs: options.timeoutMs ?? REFRESH_DEFAULTS.timeoutMs,
            signal: options.signal,
          });
          logger.info({ server: name, files: paths.length, attempt }, `media server refreshed: ${done}`);
          await recordResult(options.stateDir, { ...base, at: at(), ok: true, final: true }).catch(
            () => undefined,
          );
          await settle(true).catch(() => undefined);
          outcomes.set(name, 'refreshed');
          return;
        } catch (error) {
          // Cut short by the service stopping: the server said nothing, so no failed try is counted or
          // recorded; its files are owed, asked at the next start.
          if (options.signal?.aborted === true) {
            await keepOwed(options.stateDir, name, paths, true).catch((failure: unknown) =>
              logger.warn(
                { server: name, err: errorMessage(failure) },
                'could not keep the files still to report',
              ),
            );
            logger.info(
              { server: name, files: paths.length },
              'media server refresh cut short by the stop; its files are owed to the next start',
            );
            outcomes.set(name, 'cut');
            return;
          }
          const final = attempt >= attempts;
          const message = errorMessage(error);
          if (options.onFailedTry) options.onFailedTry(name, { attempt, final, message });
          else
            logger[final ? 'error' : 'warn'](
              { server: name, attempt },
              `media server refresh failed${final ? '' : '; will retry'}: ${message}`,
            );
          await recordResult(options.stateDir, { ...base, at: at(), ok: false, final, error: message }).catch(
            () => undefined,
          );
          if (final) {
            outcomes.set(name, 'failed');
            await settle(false, message).catch((error: unknown) =>
              logger.warn(
                { server: name, err: errorMessage(error) },
                'could not keep the files still to report',
              ),
            );
            return;
          }
          await sleep(
            (options.firstDelayMs ?? REFRESH_DEFAULTS.firstDelayMs) * 2 ** (attempt - 1),
            undefined,
            {
              signal: options.signal,
            },
          ).catch(() => undefined);
        }
      }
    }),
  );
  return outcomes;
}
