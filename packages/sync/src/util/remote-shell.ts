import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import { OWN_PROCESS_GROUP, trackToolGroup } from '@imk/tools';
import type { Program } from './programs.ts';
import { redactText } from './secrets.ts';
import { toolEnv, type ToolResult } from './run-tool.ts';
import { shellQuote } from './ssh-options.ts';

/**
 * One long-lived `sh` on the server, fed commands on its stdin: the checks and renames of a pass cost one
 * login (and one run of the login shell's start-up files, which on some hosts take a good part of a
 * second) instead of one per command. Commands run one after the other.
 */
export interface RemoteShell {
  /** Runs one command (its words are quoted here); its stderr is merged into stdout. */
  run(words: readonly string[], signal?: AbortSignal): Promise<ToolResult>;
  close(): void;
}

/** The pipes of a remote `sh` and how to learn that it ended. */
export interface ShellChannel {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Called once with the exit code when the shell (or its connection) ends. */
  onExit(callback: (code: number) => void): void;
  kill(): void;
}

/** The first line every kept shell is fed (createShellOver): the C locale for the commands that follow. */
const C_LOCALE = 'LC_ALL=C LANG=C; export LC_ALL LANG\n';

interface Pending {
  marker: string;
  resolve(result: ToolResult): void;
}

/** A remote shell over any channel: `openChannel` is called again after the previous one ended. */
export function createShellOver(
  openChannel: () => Promise<ShellChannel>,
  sensitive: readonly (string | undefined)[] = [],
): RemoteShell {
  let channel: Promise<ShellChannel> | undefined;
  let stdout = '';
  let stderr = '';
  let counter = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let pending: Pending | undefined;
  const clean = (text: string): string => redactText(text, sensitive);

  async function open(): Promise<ShellChannel> {
    stdout = '';
    stderr = '';
    const opened = await openChannel();
    // In the C locale on the server, whatever it is set to there or sent by ssh (its sshd may not accept the
    // LC_ALL ssh sends; ssh2's exec channels send none): what `mv`, `rm` or `sh` say is read by words.
    opened.stdin.write(C_LOCALE);
    opened.stdout.setEncoding('utf8');
    opened.stderr.setEncoding('utf8');
    opened.stdout.on('data', (data: string) => {
      stdout += data;
      if (!pending) return;
      const at = stdout.indexOf(`\n${pending.marker} `);
      const end = at === -1 ? -1 : stdout.indexOf('\n', at + 1);
      if (end === -1) return;
      const exitCode = Number(stdout.slice(at + pending.marker.length + 2, end));
      const output = clean(stdout.slice(0, at));
      stdout = stdout.slice(end + 1);
      const done = pending;
      pending = undefined;
      done.resolve({ exitCode, stdout: output, stderr: output });
    });
    opened.stderr.on('data', (data: string) => {
      if (stderr.length < 16_384) stderr += data;
    });
    opened.stdin.on('error', () => undefined);
    // The shell or its connection ended: the waiting command fails with what was said on stderr.
    opened.onExit((code) => {
      channel = undefined;
      const done = pending;
      pending = undefined;
      done?.resolve({ exitCode: code === 0 ? 255 : code, stdout: '', stderr: clean(stderr) });
    });
    return opened;
  }

  async function runNow(words: readonly string[], signal?: AbortSignal): Promise<ToolResult> {
    channel ??= open();
    let current: ShellChannel;
    try {
      current = await channel;
    } catch (error) {
      channel = undefined;
      return { exitCode: 255, stdout: '', stderr: clean((error as Error).message) };
    }
    const marker = `__IMK_END_${++counter}__`;
    return new Promise<ToolResult>((resolve) => {
      // A stopped transfer ends the shell; the next command starts a new one.
      const onAbort = () => current.kill();
      signal?.addEventListener('abort', onAbort, { once: true });
      pending = {
        marker,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      const command = words.map(shellQuote).join(' ');
      // The command's stdin is /dev/null so it cannot eat the next commands; printf marks the end and status.
      current.stdin.write(`${command} </dev/null 2>&1; printf '\\n%s %s\\n' '${marker}' "$?"\n`);
    });
  }

  return {
    run(words, signal) {
      const result = queue.then(() => runNow(words, signal));
      queue = result.catch(() => undefined);
      return result;
    },
    close() {
      const current = channel;
      channel = undefined;
      void current?.then(
        (opened) => {
          opened.stdin.end();
          opened.kill();
        },
        () => undefined,
      );
    },
  };
}

export interface RemoteShellOptions {
  sshBinary: Program;
  /** ssh options and the destination, ending with `--`, `user@host`. */
  sshArgs: readonly string[];
  sensitive: readonly (string | undefined)[];
}

/** A remote shell through the `ssh` program. */
export function createRemoteShell(options: RemoteShellOptions): RemoteShell {
  return createShellOver(async () => {
    const proc = trackToolGroup(
      execa(await options.sshBinary(), [...options.sshArgs, 'exec sh'], {
        ...OWN_PROCESS_GROUP,
        env: toolEnv(),
        extendEnv: false,
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        reject: false,
      }),
    );
    return {
      stdin: proc.stdin,
      stdout: proc.stdout,
      stderr: proc.stderr,
      onExit: (callback: (code: number) => void) =>
        void proc.then((result) => callback(result.exitCode ?? 255)),
      kill: () => proc.kill('SIGTERM'),
    };
  }, options.sensitive);
}
