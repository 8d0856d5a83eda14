import { join } from 'node:path';
import { readUntrustedJson, writeJsonAtomic } from '@imk/fs-safe';
import { STATE_FILE } from './names.ts';

/**
 * The queue's own facts about a bundle, kept in `imk-state.json` inside it so they survive every rename:
 * how many attempts were started, and how long a retry asked to wait.
 */
export interface BundleState {
  /** Attempts started so far (the next claim is attempt `attempts + 1`). */
  attempts: number;
  /** A retry asked not to be claimed before this many ms, measured on each observer's own clock. */
  retry_delay_ms?: number;
  /** Last error, kept for `imk retry` and operators. */
  last_error?: { stage: string; message: string; attempt: number };
  /** Token of the claim that last wrote this file; settles an ambiguous rename back to ready. */
  token?: string;
  /**
   * What the job was given back to wait for (Claim.release with `waitingFor`), and since when (ISO time of
   * the first release for it): the next claim sees how long it has waited so far (Claim.waiting).
   */
  waiting?: BundleWait;
  /**
   * Looks of every wait of this attempt so far (releases with `waitingFor`): a wait begun after the job ran
   * (busy, free, busy again) adds to the earlier waits' count; a new attempt (a failure retried) begins at 0.
   * A count, not times: a consumer bounds an attempt's waiting by it without comparing times another host
   * wrote (Claim.waitLooks).
   */
  wait_looks?: number;
}

/** A wait recorded in imk-state.json: what for, and since when (an ISO time). */
export interface BundleWait {
  for: string;
  since: string;
  /**
   * How many times a claimer has looked and given the job back for this wait. It names one release: every
   * claimer, on any host, counts the release's delay (retry_delay_ms) on its own clock from when it first
   * saw this count, so a host that saw the job only now does not look again before the delay is over.
   */
  looks?: number;
  /** When the last look was, and when the next is due (ISO times, for people: `imk job`, the dashboard). */
  last_look_at?: string;
  next_look_at?: string;
}

/**
 * Which release a retry delay belongs to: the attempt count, and for a wait when it began and the number of
 * looks (a second wait, begun after the job ran, counts its looks from 1 again). A claimer counts a delay on
 * its own clock from when it first saw this key (never from a time another host wrote; `since` is only
 * compared for equality): a release seen again is not due before then; a newer release (another host
 * looked meanwhile, or a new wait began) starts anew.
 */
export function delayKey(state: Pick<BundleState, 'attempts' | 'waiting'>): string {
  const { waiting } = state;
  return waiting === undefined
    ? `${state.attempts}:0`
    : `${state.attempts}:${waiting.since}:${waiting.looks ?? 0}`;
}

/** Largest imk-*.json file read back (they are a few hundred bytes). */
export const CONTROL_FILE_MAX_BYTES = 256 * 1024;

export async function readBundleState(dir: string): Promise<BundleState> {
  try {
    // A producer could have put anything under this name: read it the untrusted way, small.
    const json = (await readUntrustedJson(join(dir, STATE_FILE), {
      name: STATE_FILE,
      maxBytes: CONTROL_FILE_MAX_BYTES,
    })) as Partial<BundleState>;
    const attempts = typeof json.attempts === 'number' && json.attempts >= 0 ? Math.floor(json.attempts) : 0;
    return { ...json, attempts };
  } catch {
    // Missing (never claimed) or unreadable: start counting from zero rather than refusing the job.
    return { attempts: 0 };
  }
}

export async function readAttempts(dir: string): Promise<number> {
  return (await readBundleState(dir)).attempts;
}

export async function writeBundleState(dir: string, state: BundleState): Promise<void> {
  // Atomic (temp file, fsync, rename, fsync folder): a crash mid-write must not lose the attempt count.
  await writeJsonAtomic(join(dir, STATE_FILE), state);
}
