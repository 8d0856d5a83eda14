import { randomUUID } from 'node:crypto';
import { lstat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import {
  fileSystemNow,
  processAlive,
  readUntrustedText,
  writeFileNoClobber,
  writeJsonAtomic,
} from '@imk/fs-safe';

/**
 * Who handles a request: `<working name>.holder` beside its `.working` file, `{ pid, host, token, since }`,
 * written before the request is claimed and rewritten every HOLDER_REFRESH_MS while it is handled. The
 * start-up recovery puts back only a `.working` file whose holder is gone: a second `imk up` (or a second
 * retriever) on the same root no longer takes the request the first is still working on.
 */
export const HOLDER_SUFFIX = '.holder';
/** How often a request's holder record is rewritten while it is handled. */
const HOLDER_REFRESH_MS = 20_000;
/** A holder record not rewritten for this long is a run that is gone (another host's, a frozen one). */
const HOLDER_STALE_MS = 3 * HOLDER_REFRESH_MS;
/** Largest holder record read (a hundred bytes of JSON). */
const HOLDER_MAX_BYTES = 4096;

interface HolderRecord {
  pid: number;
  host: string;
  token: string;
  since: string;
}

/** The holder records this process writes (their tokens): a record naming this process's pid is held only by these. */
const tokensHeldHere = new Set<string>();

export interface RequestHold {
  /** Ends the hold: stops rewriting the record and removes it. */
  release(): Promise<void>;
}

/**
 * Writes the holder record of the request that will be `working`, and keeps it fresh until released; or
 * undefined when a live run holds that name (its request then waits its turn). Never over another's record.
 */
export async function holdRequest(working: string): Promise<RequestHold | undefined> {
  const file = `${working}${HOLDER_SUFFIX}`;
  const token = randomUUID();
  const record: HolderRecord = { pid: process.pid, host: hostname(), token, since: new Date().toISOString() };
  const text = `${JSON.stringify(record, null, 2)}\n`;
  tokensHeldHere.add(token);
  let writing: Promise<void> = Promise.resolve();
  const write = (): Promise<void> =>
    (writing = writing.then(() => writeJsonAtomic(file, record)).catch(() => undefined));
  try {
    if (!(await writeFileNoClobber(file, text))) {
      // A record already there: another live run's is left alone; one of a run that is gone is replaced.
      if ((await liveHolder(working)) !== undefined || !(await removeThen(file, text))) {
        tokensHeldHere.delete(token);
        return undefined;
      }
    }
  } catch (error) {
    tokensHeldHere.delete(token);
    throw error;
  }
  const timer = setInterval(() => void write(), HOLDER_REFRESH_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await writing;
      tokensHeldHere.delete(token);
      await unlink(file).catch(() => undefined);
    },
  };
}

async function removeThen(file: string, text: string): Promise<boolean> {
  await unlink(file).catch(() => undefined);
  return writeFileNoClobber(file, text);
}

/**
 * The live run that holds the request `working`, or undefined when none does: no record (a crash between
 * the claim and the record, an earlier version of imk), a record of a process of this host that is gone,
 * or one not rewritten for HOLDER_STALE_MS (another host's run that is gone, a frozen process).
 */
export async function liveHolder(
  working: string,
): Promise<{ pid: number; host: string; since: string } | undefined> {
  const file = `${working}${HOLDER_SUFFIX}`;
  let record: Partial<HolderRecord>;
  let mtimeMs: number;
  try {
    record = JSON.parse(
      await readUntrustedText(file, { maxBytes: HOLDER_MAX_BYTES }),
    ) as Partial<HolderRecord>;
    mtimeMs = (await lstat(file)).mtimeMs;
  } catch {
    return undefined;
  }
  if (typeof record.pid !== 'number' || typeof record.host !== 'string' || typeof record.token !== 'string')
    return undefined;
  if (record.host === hostname()) {
    // A record with this process's own pid that it never wrote was left by an earlier process with the same
    // pid (a container restarted: a new PID namespace at each start).
    const alive = record.pid === process.pid ? tokensHeldHere.has(record.token) : processAlive(record.pid);
    if (!alive) return undefined;
  }
  // Its age on the clock of the file system that stamped it (a file server's when the folder is on a share).
  const now = await fileSystemNow(dirname(file)).catch(() => Date.now());
  if (now - mtimeMs > HOLDER_STALE_MS) return undefined;
  return { pid: record.pid, host: record.host, since: String(record.since) };
}

/** Removes a holder record left without its request (a run killed between the two), once no live run holds it. */
export async function removeStaleHolder(working: string): Promise<void> {
  if ((await liveHolder(working)) === undefined)
    await unlink(`${working}${HOLDER_SUFFIX}`).catch(() => undefined);
}
