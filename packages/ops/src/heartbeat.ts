import { lstat, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { resolvePaths } from '@imk/config';
import { fileSystemNow, processAlive, readUntrustedText, writeJsonAtomic } from '@imk/fs-safe';
import type { Logger } from '@imk/log';

/**
 * Heartbeats live in `state/health/<service>@<host>.json`: one per service per host (container); a
 * `.imk-clock-check-<random>/` folder there for a moment is readHeartbeat's look at the file system's clock.
 */
export const HEALTH_DIR = 'health';

export interface Heartbeat {
  service: string;
  host: string;
  pid: number;
  /** The service's state as its supervisor sees it (running, stopped, failed, …). */
  state: string;
  at: string;
  /** Where the service answers HTTP (the dashboard), as it listens: `imk up --port`, `port: 0` included. */
  url?: string;
}

export function heartbeatFile(root: string, service: string, host = hostname()): string {
  return join(
    resolvePaths(root).state,
    HEALTH_DIR,
    `${service}@${host.replace(/[^A-Za-z0-9._-]/g, '_')}.json`,
  );
}

/** How often a running service writes its heartbeat (`imk healthcheck`'s --max-age default is derived from it). */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** Largest heartbeat file read (a few hundred bytes of JSON). */
const HEARTBEAT_FILE_MAX_BYTES = 64 * 1024;
/** Heartbeats a service may miss (a slow disk, a long pause) before `imk healthcheck` calls it hung. */
const HEARTBEATS_MISSED_BEFORE_HUNG = 3;
/** `imk healthcheck --max-age`'s default: the oldest heartbeat of a live service, in seconds (60). */
export const HEALTHCHECK_MAX_AGE_SECONDS =
  ((HEARTBEATS_MISSED_BEFORE_HUNG + 1) * HEARTBEAT_INTERVAL_MS) / 1000;

export interface HeartbeatOptions {
  root: string;
  service: string;
  logger: Logger;
  /** Stops the heartbeat (a last beat records the final state). */
  signal: AbortSignal;
  state: () => string;
  /** The service's HTTP address once it listens (the dashboard), recorded for `imk healthcheck`. */
  url?: () => string | undefined;
  /** @default HEARTBEAT_INTERVAL_MS */
  intervalMs?: number;
}

/**
 * Writes the service's heartbeat every interval while it runs, so that a container health check
 * (`imk healthcheck <service>`) can tell a live service from a hung or dead one.
 */
export async function startHeartbeat(options: HeartbeatOptions): Promise<Heartbeats> {
  const file = heartbeatFile(options.root, options.service);
  const write = async (): Promise<void> => {
    const url = options.url?.();
    const heartbeat: Heartbeat = {
      service: options.service,
      host: hostname(),
      pid: process.pid,
      state: options.state(),
      at: new Date().toISOString(),
      ...(url !== undefined && { url }),
    };
    try {
      if (!LIVE_STATES.has(heartbeat.state) && (await heldByAnotherLiveProcess(file))) return;
      await mkdir(join(file, '..'), { recursive: true });
      await writeJsonAtomic(file, heartbeat);
    } catch (error) {
      options.logger.warn({ err: (error as Error).message, file }, 'cannot write the health heartbeat');
    }
  };
  // One write at a time, in order: two overlapping writes could land out of order and leave "running"
  // on disk after "stopped". `writing` is the last one queued.
  let writing: Promise<void> = Promise.resolve();
  const beat = (): Promise<void> => (writing = writing.then(write));
  const timer = setInterval(() => void beat(), options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  timer.unref();
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    if (stopped === undefined) {
      clearInterval(timer);
      stopped = beat();
    }
    return stopped;
  };
  options.signal.addEventListener('abort', () => void stop(), { once: true });
  await beat();
  return { beat, stop };
}

/** The states `imk healthcheck` calls alive. */
const LIVE_STATES: ReadonlySet<string> = new Set(['running', 'degraded']);

/**
 * Whether the heartbeat file is another live process's on this host that says it runs: a second `imk up`
 * on the same root (stopped by the port in use, say) then leaves it alone rather than writing its own
 * "starting", "failed" or "stopped" over it, which made `imk healthcheck` call the running one unhealthy.
 */
async function heldByAnotherLiveProcess(file: string): Promise<boolean> {
  let beat: Partial<Heartbeat>;
  try {
    beat = JSON.parse(
      await readUntrustedText(file, { maxBytes: HEARTBEAT_FILE_MAX_BYTES }),
    ) as Partial<Heartbeat>;
  } catch {
    return false;
  }
  return (
    typeof beat.pid === 'number' &&
    beat.pid !== process.pid &&
    beat.host === hostname() &&
    LIVE_STATES.has(String(beat.state)) &&
    processAlive(beat.pid)
  );
}

export interface Heartbeats {
  /** Writes a beat now (call it when the state changes, so a health check sees it at once). */
  beat(): Promise<void>;
  /**
   * Stops the timer and writes the last beat (the end state); resolves once every write is on disk, so a
   * caller that removes the folder or exits next does not race a write.
   */
  stop(): Promise<void>;
}

/**
 * This host's last heartbeat of a service, whether the process that wrote it is gone, and its age: the
 * file's mtime against "now" on the clock that stamped it (the file system's, a file server's when state/
 * is on a share), never this host's clock. A host a minute ahead of the file server called every live
 * service hung (a container restarted again and again); one behind called a hung service healthy.
 */
export async function readHeartbeat(
  root: string,
  service: string,
): Promise<(Heartbeat & { ageSec: number; processGone: boolean }) | undefined> {
  const file = heartbeatFile(root, service);
  try {
    // Through fs-safe: a FIFO or a link in its place is no heartbeat, and never waited on.
    const [text, info] = await Promise.all([
      readUntrustedText(file, { maxBytes: HEARTBEAT_FILE_MAX_BYTES }),
      lstat(file),
    ]);
    // A state/ this process cannot write to (a read-only look): this host's clock, as before.
    const now = await fileSystemNow(dirname(file)).catch(() => Date.now());
    const beat = JSON.parse(text) as Heartbeat;
    // Written by this host: its process can be asked after. One killed (SIGKILL, the OOM killer) wrote no
    // last beat, and its "running" looked fresh for a minute more.
    const processGone = beat.host === hostname() && typeof beat.pid === 'number' && !processAlive(beat.pid);
    return { ...beat, ageSec: (now - info.mtimeMs) / 1000, processGone };
  } catch {
    return undefined;
  }
}
