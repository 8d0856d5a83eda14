import { availableParallelism } from 'node:os';
import type { MdxModelParams } from './model-params.ts';
import {
  ORT_SESSIONS,
  createMdxSession,
  providerName,
  type MdxSession,
  type MdxSessionFactory,
  type MdxSessionOptions,
} from './model-session.ts';

/** One use of a shared session: `release()` when done; the session is closed when its last user lets go. */
export interface MdxSessionHandle {
  readonly session: MdxSession;
  release(): Promise<void>;
}

interface Entry {
  opening: Promise<MdxSession>;
  /** Set once opened. */
  session?: MdxSession;
  users: number;
}

// ORT sessions are not cheap and leak native memory when made over and over (one per job would), so one
// session per model file, options and factory is shared by everyone using it at once, and closed (ORT's
// session.release()) when the last of them lets go: an engine keeps its model's session for its life
// (reused across songs), a job for its run, imk doctor for its check.
const pools = new Map<MdxSessionFactory, Map<string, Entry>>();

/** One user's hold on a pool entry: the session, and letting go of it (closed when the last user lets go). */
interface Hold {
  session: MdxSession;
  release(): Promise<void>;
}

/** The pooled session for `key` (opened by `open` when there is none, or none still usable), held once more. */
async function hold(pool: Map<string, Entry>, key: string, open: () => Promise<MdxSession>): Promise<Hold> {
  let entry = pool.get(key);
  // One whose run was dropped by an abort is left to its users (released once the run returns), and a new one
  // opened: the next job does not wait in line behind the dropped run.
  if (entry?.session?.usable === false) {
    pool.delete(key);
    entry = undefined;
  }
  if (entry === undefined) {
    const created: Entry = { opening: open(), users: 0 };
    created.opening.then(
      (session) => (created.session = session),
      () => {
        if (pool.get(key) === created) pool.delete(key);
      },
    );
    pool.set(key, (entry = created));
  }
  const held = entry;
  held.users++;
  let session: MdxSession;
  try {
    session = await held.opening;
  } catch (error) {
    held.users--;
    throw error;
  }
  let released = false;
  return {
    session,
    async release() {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0) return;
      if (pool.get(key) === held) pool.delete(key);
      await session.close();
    },
  };
}

/**
 * The session for `file` with these options, shared with whoever has it open already, else created; the
 * caller releases it when done. A failed creation is not remembered (a fixed install works next time).
 *
 * A run dropped by one user's abort (a cancelled job) leaves the shared session unusable, for its other
 * users too: another job of the same engine (a worker running two at once), or imk doctor's check run in
 * the worker's process, got ENGINE_FAILED ("a run … was dropped in this session") on its next run. Each
 * user's run now moves that user to the pool's new session first (its hold on the old one let go), so only
 * the user whose run was dropped sees it. `usable` still says the session it holds was set aside, so that an
 * engine keeping a session for later songs lets go of it.
 */
export async function acquireMdxSession(
  file: string,
  params: MdxModelParams,
  options: MdxSessionOptions,
  factory: MdxSessionFactory = ORT_SESSIONS,
): Promise<MdxSessionHandle> {
  const threads = options.threads ?? availableParallelism();
  const providers = options.executionProviders.map(providerName);
  const key = JSON.stringify([file, params.hash, threads, providers]);
  let pool = pools.get(factory);
  if (pool === undefined) pools.set(factory, (pool = new Map<string, Entry>()));
  const inPool = pool;
  const open = () => createMdxSession(file, params, threads, providers, factory);
  let current = await hold(inPool, key, open);
  let released = false;
  // One move at a time: two runs of one user at once (a batch) both found the session set aside.
  let moving: Promise<void> | undefined;
  const moveOn = async () => {
    const before = current;
    const next = await hold(inPool, key, open);
    if (released) {
      await next.release();
      return;
    }
    current = next;
    await before.release();
  };
  const session: MdxSession = {
    get inputName() {
      return current.session.inputName;
    },
    get outputName() {
      return current.session.outputName;
    },
    get inputShape() {
      return current.session.inputShape;
    },
    get dynamicBatch() {
      return current.session.dynamicBatch;
    },
    get executionProviders() {
      return current.session.executionProviders;
    },
    get unusedProviders() {
      return current.session.unusedProviders;
    },
    get usable() {
      return !released && current.session.usable;
    },
    async run(input, batch, signal) {
      signal?.throwIfAborted();
      while (!released && !current.session.usable) {
        moving ??= moveOn().finally(() => (moving = undefined));
        await moving;
      }
      return current.session.run(input, batch, signal);
    },
    close: () => current.session.close(),
  };
  return {
    session,
    async release() {
      if (released) return;
      released = true;
      await moving?.catch(() => undefined);
      await current.release();
    },
  };
}

/** How many sessions are open (one per model and options in use); for tests. */
export function openMdxSessionCount(factory: MdxSessionFactory = ORT_SESSIONS): number {
  return pools.get(factory)?.size ?? 0;
}
