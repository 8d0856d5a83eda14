import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { freePort } from '../util/free-port.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { OWN_PROCESS_GROUP, trackToolGroup } from '@imk/tools';
import type { Program } from '../util/programs.ts';
import { toolEnv } from '../util/run-tool.ts';
import { syncError } from '../errors.ts';
import { watchSilence } from '../util/process-activity.ts';

/** An error answer of the rclone remote control API. */
export class RcloneCallError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'RcloneCallError';
    this.status = status;
  }
}

/**
 * One `rclone rcd` per backend and pass, driven over its HTTP API on 127.0.0.1 with a random login: every
 * copy, check and rename of the pass reuses one process and its pooled connections to the remote, instead of
 * starting rclone (and, for SFTP, logging in) three times per file.
 */
export interface RcloneDaemon {
  /** `watched`: the call is watched even before `watch.when()` says so (rclone's first look at the remote). */
  call<T = Record<string, unknown>>(
    path: string,
    body: Record<string, unknown>,
    signal?: AbortSignal,
    watched?: boolean,
  ): Promise<T>;
  close(): Promise<void>;
}

export interface RcloneDaemonOptions {
  binary: Program;
  /** Global flags: --config, --retries, --bwlimit, the user's flags. */
  flags: readonly string[];
  env?: NodeJS.ProcessEnv;
  /**
   * A no-progress bound on calls, for a remote on this host (a share that stops answering never answers a
   * call): while `when()` says so, a call during which rclone moves no byte (core/stats) for `silentMs` is
   * given up, the daemon killed, and `error` says why; until that daemon has ended (it may not before the
   * share answers) calls fail at once with the same error rather than start another daemon that would wait.
   */
  watch?: {
    silentMs: number;
    when(): boolean;
    error(folder: string, since: Date): Error;
  };
}

type Started = { url: string; auth: string; proc: ResultPromise; given?: boolean };

/** POSTs an rc call to the daemon. */
function post(daemon: Started, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${daemon.url}${path}`, {
    method: 'POST',
    headers: { authorization: daemon.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/**
 * Calls `silent` (with the time of the last progress) once rclone has moved no byte and finished no check or
 * transfer for `silentMs` (asked of core/stats a few times a second, each ask bounded too) and its process did
 * no work either (watchSilence: a daemon starved of CPU on a busy machine is runnable or uses CPU time; one
 * waiting on a share that stopped answering sleeps). core/stats is not asked while the process is looked at,
 * so answering it is not taken for work. Returns the function that stops the watch.
 */
function watchProgress(daemon: Started, silentMs: number, silent: (since: Date) => void): () => void {
  const watch = watchSilence({
    silentMs,
    processes: () => (daemon.proc.pid === undefined ? [] : [daemon.proc.pid]),
    silent,
  });
  let last: string | undefined;
  let asking = false;
  const poll = setInterval(
    () => {
      if (asking || watch.looking) return;
      asking = true;
      post(daemon, 'core/stats', {}, AbortSignal.timeout(silentMs))
        .then((response) => response.json() as Promise<Record<string, unknown>>)
        .then(
          (stats) => {
            const seen = JSON.stringify([
              stats.bytes,
              stats.checks,
              stats.transfers,
              stats.deletes,
              stats.renames,
            ]);
            if (last !== undefined && seen !== last) watch.progress();
            last = seen;
          },
          () => undefined,
        )
        .finally(() => (asking = false));
    },
    Math.max(50, Math.min(500, silentMs / 8)),
  );
  return () => {
    watch.stop();
    clearInterval(poll);
  };
}

// setpriv --pdeathsig: the daemon gets SIGTERM if nas-sync itself dies (even by SIGKILL), so none is left behind.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

export function createRcloneDaemon(options: RcloneDaemonOptions): RcloneDaemon {
  let started: Promise<Started> | undefined;
  /** The daemon given up on (no progress) has not ended yet: since when, and the folder it was working in. */
  let stuck: { since: Date; folder: string } | undefined;

  /** A call made no progress: the daemon is killed and not waited for; its calls fail as this one does. */
  function giveUp(daemon: Started, folder: string, since: Date): void {
    if (daemon.given) return;
    daemon.given = true;
    started = undefined;
    stuck = { since, folder };
    void daemon.proc.finally(() => (stuck = undefined));
    daemon.proc.kill('SIGKILL');
  }

  async function start(): Promise<Started> {
    const port = await freePort();
    const user = randomBytes(8).toString('hex');
    const pass = randomBytes(16).toString('hex');
    const binary = await options.binary();
    const args = ['rcd', '--rc-addr', `127.0.0.1:${port}`, ...options.flags];
    const [command, commandArgs] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', binary, ...args]]
      : [binary, args];
    // The login goes through the environment, not the command line, so `ps` does not show it.
    const proc = trackToolGroup(
      execa(command, commandArgs, {
        ...OWN_PROCESS_GROUP,
        env: { ...toolEnv(options.env), RCLONE_RC_USER: user, RCLONE_RC_PASS: pass },
        extendEnv: false,
        stdin: 'ignore',
        stdout: 'ignore',
        stderr: 'pipe',
        reject: false,
        buffer: { stderr: true },
        lines: false,
      }),
    );
    let exited = false;
    void proc.then(() => (exited = true));
    const url = `http://127.0.0.1:${port}/`;
    const auth = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (exited) {
        const result = await proc;
        const stderr = typeof result.stderr === 'string' ? result.stderr : '';
        if ((result as { code?: string }).code === 'ENOENT')
          throw syncError('TOOL_MISSING', `${binary} could not be run; apt-get install rclone`);
        throw syncError(
          'BACKEND_CONFIG_INVALID',
          `rclone rcd did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
        );
      }
      const ok = await fetch(`${url}rc/noop`, { method: 'POST', headers: { authorization: auth } }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return { url, auth, proc };
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw syncError('TRANSFER_FAILED', 'rclone rcd did not answer within 15 s');
      }
      await sleep(25);
    }
  }

  return {
    async call<T>(
      path: string,
      body: Record<string, unknown>,
      signal?: AbortSignal,
      watched = false,
    ): Promise<T> {
      const watch = watched || options.watch?.when() ? options.watch : undefined;
      if (watch && stuck) throw watch.error(stuck.folder, stuck.since);
      started ??= start();
      let daemon;
      try {
        daemon = await started;
      } catch (error) {
        started = undefined;
        throw error;
      }
      // The folder the call works in, as rclone names it, for the message of a share that stopped answering.
      const named = body.dstFs ?? body.fs;
      const folder = typeof named === 'string' ? named : '';
      const given = new AbortController();
      const stopWatch = watch
        ? watchProgress(daemon, watch.silentMs, (since) => {
            giveUp(daemon, folder, since);
            given.abort();
          })
        : () => undefined;
      let response: Response;
      let json: T & { error?: string };
      try {
        try {
          response = await post(
            daemon,
            path,
            body,
            signal ? AbortSignal.any([signal, given.signal]) : given.signal,
          );
        } catch (error) {
          // Given up on (this call's or another's share stopped answering): the daemon is gone for this pass.
          if (watch && stuck) throw watch.error(stuck.folder, stuck.since);
          // The daemon died (or the call was stopped): the next call starts a new one.
          started = undefined;
          daemon.proc.kill('SIGTERM');
          throw syncError(
            signal?.aborted ? 'ABORTED' : 'TRANSFER_FAILED',
            `rclone rcd did not answer ${path}: ${(error as Error).message}`,
          );
        }
        json = (await response.json().catch(() => ({}))) as T & { error?: string };
        if (watch && stuck && given.signal.aborted) throw watch.error(stuck.folder, stuck.since);
      } finally {
        stopWatch();
      }
      if (!response.ok) throw new RcloneCallError(json.error ?? `HTTP ${response.status}`, response.status);
      return json;
    },

    async close() {
      const current = started;
      started = undefined;
      const daemon = await current?.catch(() => undefined);
      if (!daemon) return;
      daemon.proc.kill('SIGTERM');
      await Promise.race([daemon.proc, sleep(3000)]);
      daemon.proc.kill('SIGKILL');
    },
  };
}

/** One entry of rclone rc's operations/stat and operations/list answers. */
export interface StatItem {
  Name: string;
  Size: number;
  IsDir: boolean;
  Hashes?: Record<string, string>;
}

/** What a remote offers, as the backend reads it from operations/fsinfo. */
export interface RemoteFeatures {
  hash: string | undefined;
  move: boolean;
  /** A folder on this host (rclone's local backend, an alias of one): copies are read back directly. */
  local: boolean;
}
