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

/**
 * The session for `file` with these options, shared with whoever has it open already, else created; the
 * caller releases it when done. A failed creation is not remembered (a fixed install works next time).
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
  let entry = pool.get(key);
  // One whose run was dropped by an abort is left to its users (released once the run returns), and a new one
  // opened: the next job does not wait in line behind the dropped run.
  if (entry?.session?.usable === false) {
    pool.delete(key);
    entry = undefined;
  }
  if (entry === undefined) {
    const created: Entry = { opening: createMdxSession(file, params, threads, providers, factory), users: 0 };
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

/** How many sessions are open (one per model and options in use); for tests. */
export function openMdxSessionCount(factory: MdxSessionFactory = ORT_SESSIONS): number {
  return pools.get(factory)?.size ?? 0;
}
