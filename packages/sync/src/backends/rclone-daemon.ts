import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { freePort } from '../util/free-port.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import type { Program } from '../util/programs.ts';
import { toolEnv } from '../util/run-tool.ts';
import { syncError } from '../errors.ts';

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
  call<T = Record<string, unknown>>(
    path: string,
    body: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<T>;
  close(): Promise<void>;
}

export interface RcloneDaemonOptions {
  binary: Program;
  /** Global flags: --config, --retries, --bwlimit, the user's flags. */
  flags: readonly string[];
  env?: NodeJS.ProcessEnv;
}

// setpriv --pdeathsig: the daemon gets SIGTERM if nas-sync itself dies (even by SIGKILL), so none is left behind.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

export function createRcloneDaemon(options: RcloneDaemonOptions): RcloneDaemon {
  let started: Promise<{ url: string; auth: string; proc: ResultPromise }> | undefined;

  async function start(): Promise<{ url: string; auth: string; proc: ResultPromise }> {
    const port = await freePort();
    const user = randomBytes(8).toString('hex');
    const pass = randomBytes(16).toString('hex');
    const binary = await options.binary();
    const args = ['rcd', '--rc-addr', `127.0.0.1:${port}`, ...options.flags];
    const [command, commandArgs] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'TERM', '--', binary, ...args]]
      : [binary, args];
    // The login goes through the environment, not the command line, so `ps` does not show it.
    const proc = execa(command, commandArgs, {
      env: { ...toolEnv(options.env), RCLONE_RC_USER: user, RCLONE_RC_PASS: pass },
      extendEnv: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'pipe',
      reject: false,
      buffer: { stderr: true },
      lines: false,
    });
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
    async call<T>(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
      started ??= start();
      let daemon;
      try {
        daemon = await started;
      } catch (error) {
        started = undefined;
        throw error;
      }
      let response: Response;
      try {
        response = await fetch(`${daemon.url}${path}`, {
          method: 'POST',
          headers: { authorization: daemon.auth, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal,
        });
      } catch (error) {
        // The daemon died (or the call was stopped): the next call starts a new one.
        started = undefined;
        daemon.proc.kill('SIGTERM');
        throw syncError(
          signal?.aborted ? 'ABORTED' : 'TRANSFER_FAILED',
          `rclone rcd did not answer ${path}: ${(error as Error).message}`,
        );
      }
      const json = (await response.json().catch(() => ({}))) as T & { error?: string };
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
