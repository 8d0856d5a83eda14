import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { OWN_PROCESS_GROUP, trackToolGroup } from '@imk/tools';
import type { Program } from './programs.ts';
import { syncError } from '../errors.ts';
import { redactText } from './secrets.ts';
import { toolEnv, type ToolResult } from './run-tool.ts';

/**
 * One shared SSH connection (OpenSSH ControlMaster) for the many short commands of a pass: each rsync and
 * each check on the server then starts in milliseconds instead of doing a key exchange and a login.
 * Commands fall back to their own connection when the master is gone.
 */
export interface SshMaster {
  /** Arguments that make an ssh command use the shared connection. */
  readonly args: readonly string[];
  /** Opens the shared connection unless open; returns the failed attempt's exit code and output, if any. */
  open(signal?: AbortSignal): Promise<ToolResult | undefined>;
  close(): Promise<void>;
}

export interface SshMasterOptions {
  sshBinary: Program;
  sshArgs: readonly string[];
  destination: string;
  sensitive: readonly (string | undefined)[];
}

export function createSshMaster(options: SshMasterOptions): SshMaster {
  // Short: a Unix socket path must stay under ~100 bytes.
  const socket = join(tmpdir(), `imk-ssh-${randomBytes(6).toString('hex')}`);
  const log = `${socket}.log`;
  let opened: Promise<ToolResult | undefined> | undefined;

  async function start(signal?: AbortSignal): Promise<ToolResult | undefined> {
    // -f: background after login; its stderr goes to a file, so nothing waits on a pipe the master keeps open.
    const binary = await options.sshBinary();
    const result = await trackToolGroup(
      execa(
        binary,
        [
          ...options.sshArgs,
          '-o',
          'ControlMaster=yes',
          '-o',
          `ControlPath=${socket}`,
          '-o',
          'ControlPersist=60',
          '-N',
          '-f',
          '--',
          options.destination,
        ],
        {
          ...OWN_PROCESS_GROUP,
          env: toolEnv(),
          extendEnv: false,
          reject: false,
          stdin: 'ignore',
          stdout: 'ignore',
          stderr: { file: log },
          cancelSignal: signal,
          forceKillAfterDelay: 2000,
        },
      ),
    );
    if ((result as { code?: string }).code === 'ENOENT')
      throw syncError(
        'TOOL_MISSING',
        `${await options.sshBinary()} could not be run; apt-get install openssh-client`,
      );
    // Started: the log is read only when the start fails, so it goes now (the master keeps writing to the
    // unlinked file), not at close: a process killed mid-pass left it in the temporary folder for good.
    if (result.exitCode === 0) {
      await rm(log, { force: true });
      return undefined;
    }
    const stderr = redactText(await readFile(log, 'utf8').catch(() => ''), options.sensitive);
    await rm(log, { force: true });
    return { exitCode: result.exitCode ?? -1, stdout: '', stderr };
  }

  return {
    args: ['-o', `ControlPath=${socket}`, '-o', 'ControlMaster=no'],
    async open(signal) {
      opened ??= start(signal);
      const failed = await opened;
      if (failed) opened = undefined;
      return failed;
    },
    async close() {
      if (!opened) {
        await rm(log, { force: true });
        return;
      }
      opened = undefined;
      await trackToolGroup(
        execa(await options.sshBinary(), ['-o', `ControlPath=${socket}`, '-O', 'exit', options.destination], {
          ...OWN_PROCESS_GROUP,
          reject: false,
          stdin: 'ignore',
          stdout: 'ignore',
          stderr: 'ignore',
        }),
      );
      await rm(log, { force: true });
    },
  };
}
