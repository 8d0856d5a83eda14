import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import {
  REFRESH_DEFAULTS,
  keepOwed,
  readRefreshOwed,
  runRefreshes,
  type RunRefreshesOptions,
} from './run-refreshes.ts';

export interface RefreshSchedulerOptions extends Omit<RunRefreshesOptions, 'delivered'> {
  /** A refresh unanswered after this is said (once) to be slow. @default REFRESH_DEFAULTS.slowAfterMs */
  slowAfterMs?: number;
}

export interface RefreshScheduler {
  /**
   * Hands over what a pass delivered (server name → paths) and returns at once: each server's refresh runs
   * beside the passes, one at a time, and no sooner than its minIntervalSec after its last one; paths
   * delivered meanwhile wait and go together. An empty map still lets a server owed files be asked again.
   */
  add(delivered: ReadonlyMap<string, readonly string[]>): void;
  /** Waits for the refreshes under way; what still waits is kept in refresh-owed/ for the next start. */
  close(): Promise<void>;
}

interface ServerState {
  /** Paths delivered since the last refresh began, waiting for the interval or the refresh under way. */
  waiting: Set<string>;
  running?: Promise<void>;
  /**
   * The server's refreshes and the writes of its waiting paths to refresh-owed/, one after the other: a
   * refresh reads what was written before it, and a write never brings back what a refresh just settled.
   */
  chain: Promise<void>;
  /** A write of the waiting paths is queued and has not begun. */
  saveQueued: boolean;
  /** Writes of waiting paths under way: close waits for them. */
  saves: Set<Promise<void>>;
  timer?: NodeJS.Timeout;
  /** performance.now() when the last refresh that asked the server began. */
  lastAsked?: number;
  health: 'ok' | 'slow' | 'down';
  /** Refreshes that failed since the server was last said to be down (said when it answers again). */
  failedTries: number;
  /** What the last failed try said (its first failure is said in the "down" line). */
  lastError?: string;
  /** Its health was read from refresh-owed/ (what an earlier run left), before its first refresh here. */
  seeded: boolean;
}

/**
 * The running nas-sync's media-server refreshes. A pass used to wait for its refreshes (a slow server held
 * the next deliveries up to ~51 s) and asked each server once per pass (200 jobs over an hour: up to 200
 * scans of a whole Jellyfin library).
 */
export function createRefreshScheduler(options: RefreshSchedulerOptions): RefreshScheduler {
  const logger: Logger = options.logger.child({ component: 'media-refresh' });
  const slowAfterMs = options.slowAfterMs ?? REFRESH_DEFAULTS.slowAfterMs;
  const states = new Map<string, ServerState>();
  let closed = false;

  const stateOf = (name: string): ServerState => {
    let state = states.get(name);
    if (!state)
      states.set(
        name,
        (state = {
          waiting: new Set(),
          health: 'ok',
          chain: Promise.resolve(),
          saveQueued: false,
          saves: new Set(),
          failedTries: 0,
          seeded: false,
        }),
      );
    return state;
  };
  const intervalMs = (name: string) => (options.servers[name]?.minIntervalSec ?? 0) * 1000;

  function health(name: string, state: ServerState, next: ServerState['health'], detail: string): void {
    if (state.health === next) return;
    const was = state.health;
    state.health = next;
    if (next === 'ok') {
      const tries = state.failedTries;
      state.failedTries = 0;
      logger.info(
        { server: name, failed_tries: tries },
        `media server "${name}" answers again (it was ${was}${tries > 0 ? `; ${String(tries)} refresh${tries === 1 ? '' : 'es'} failed meanwhile` : ''})`,
      );
    } else logger.warn({ server: name }, `media server "${name}" is ${next}: ${detail}`);
  }

  function run(name: string, paths: string[]): void {
    const state = stateOf(name);
    const began = performance.now();
    // A server said to be down is not said slow at each try that hangs (then down again): one line each way.
    // Timed from each try's request to its answer: the waits between failed tries are no server's slowness
    // (a server answering 503 at once was said "slow", then "down").
    let slow: NodeJS.Timeout | undefined;
    const unanswered = () => {
      if (state.health !== 'down')
        health(
          name,
          state,
          'slow',
          `a refresh has had no answer for ${slowAfterMs / 1000} s; deliveries go on, and its refreshes wait (one at a time)`,
        );
    };
    state.running = state.chain
      .then(() => seed(name, state))
      .then(() =>
        runRefreshes({
          ...options,
          servers: { [name]: options.servers[name]! },
          delivered: new Map(paths.length > 0 ? [[name, paths]] : []),
          // Said once when it goes down and once when it answers again, not at each try (a server down for a
          // day was a line per interval); each try is still recorded, and the health check counts them.
          onTry: () => {
            clearTimeout(slow);
            slow = setTimeout(unanswered, slowAfterMs);
          },
          onFailedTry: (_, failure) => {
            clearTimeout(slow);
            state.lastError = failure.message;
            if (state.health === 'down')
              logger.debug(
                { server: name, attempt: failure.attempt },
                `media server refresh failed: ${failure.message}`,
              );
          },
        }),
      )
      .then((outcomes) => {
        const outcome = outcomes.get(name);
        if (outcome !== 'idle') state.lastAsked = began;
        if (outcome === 'refreshed') health(name, state, 'ok', '');
        // A refresh the stopping service cut short ('cut') says nothing of the server.
        if (outcome === 'failed') {
          state.failedTries += 1;
          health(
            name,
            state,
            'down',
            `its refresh failed: ${state.lastError ?? 'no answer'}; the files it missed are kept and asked again later (said again when it answers; the tries between are counted, see the nas-sync health)`,
          );
        }
      })
      .catch((error: unknown) =>
        logger.warn(
          { server: name, err: errorMessage(error) },
          `media server refresh: ${errorMessage(error)}`,
        ),
      )
      .finally(() => {
        clearTimeout(slow);
        state.running = undefined;
        if (state.waiting.size > 0) due(name);
      });
    state.chain = state.running;
  }

  /**
   * A server whose owed file counts failed tries was down when an earlier run (or `imk sync --once`, each a
   * scheduler of its own) last asked it: so it is down here too, said once already, and its first refresh
   * that answers says it answers again, with the tries of every run between. Before, each run began with
   * the server taken for well: a cron of `imk sync --once` said "down" at every run and never "answers again".
   */
  async function seed(name: string, state: ServerState): Promise<void> {
    if (state.seeded) return;
    state.seeded = true;
    const [owed] = await readRefreshOwed(options.stateDir, [name]);
    if (owed === undefined || owed.tries === 0 || state.health !== 'ok') return;
    state.health = 'down';
    state.failedTries = owed.tries;
    if (owed.lastError !== undefined) state.lastError = owed.lastError;
  }

  /** Runs what waits for `name` now if its interval is over and nothing runs, else when the interval ends. */
  function due(name: string): void {
    const state = stateOf(name);
    // Once the service stops, what waits stays for close() to keep (a refresh begun now would only fail).
    if (closed || options.signal?.aborted === true || state.running || state.timer) return;
    const left = state.lastAsked === undefined ? 0 : state.lastAsked + intervalMs(name) - performance.now();
    if (left > 0) {
      if (state.waiting.size === 0) return;
      state.timer = setTimeout(() => {
        state.timer = undefined;
        due(name);
      }, left);
      return;
    }
    const paths = [...state.waiting];
    state.waiting.clear();
    run(name, paths);
  }

  async function keep(name: string, state: ServerState, due: boolean): Promise<void> {
    await keepOwed(options.stateDir, name, [...state.waiting], due).catch((error: unknown) =>
      logger.warn(
        { server: name, err: errorMessage(error) },
        `media server "${name}": cannot keep the files still to report in ${options.stateDir}: ${errorMessage(error)}`,
      ),
    );
  }

  /**
   * Paths that wait are written to refresh-owed/ at once, also while a refresh runs (run-refreshes takes
   * turns with it on the file and settles only what it reported): a process that dies meanwhile leaves
   * them owed. Before, the write waited for the refresh under way (up to its timeout and retries).
   */
  function save(name: string, state: ServerState): void {
    if (state.saveQueued) return;
    state.saveQueued = true;
    const saved = Promise.resolve().then(() => {
      state.saveQueued = false;
      return keep(name, state, false);
    });
    state.saves.add(saved);
    void saved.finally(() => state.saves.delete(saved));
  }

  return {
    add(delivered) {
      if (closed) return;
      for (const name of Object.keys(options.servers)) {
        const state = stateOf(name);
        const fresh = delivered.get(name) ?? [];
        for (const path of fresh) state.waiting.add(path);
        // A pass without new files for it still lets a server owed some be asked (runRefreshes decides when).
        if (fresh.length > 0 || (!state.running && !state.timer)) due(name);
        if (fresh.length > 0 && state.waiting.size > 0) save(name, state);
      }
    },
    async close() {
      closed = true;
      for (const state of states.values()) clearTimeout(state.timer);
      // Then what still waits is due at once for the next start (kept while waiting, it kept the retry time).
      await Promise.all(
        [...states.entries()].map(async ([name, state]) => {
          await Promise.all([state.chain, ...state.saves]);
          await keep(name, state, true);
        }),
      );
    },
  };
}
