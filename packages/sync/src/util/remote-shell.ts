import { execa, type ResultPromise } from 'execa';
import { redactText } from './secrets.ts';
import type { ToolResult } from './run-tool.ts';
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

export interface RemoteShellOptions {
  sshBinary: string;
  /** ssh options and the destination, ending with `--`, `user@host`. */
  sshArgs: readonly string[];
  sensitive: readonly (string | undefined)[];
}

interface Pending {
  marker: string;
  resolve(result: ToolResult): void;
}

export function createRemoteShell(options: RemoteShellOptions): RemoteShell {
  let child:
    | ResultPromise<{ stdin: 'pipe'; stdout: 'pipe'; stderr: 'pipe'; buffer: false; reject: false }>
    | undefined;
  let stdout = '';
  let stderr = '';
  let counter = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let pending: Pending | undefined;

  const clean = (text: string): string => redactText(text, options.sensitive);

  function start(): NonNullable<typeof child> {
    stdout = '';
    stderr = '';
    const proc = execa(options.sshBinary, [...options.sshArgs, 'exec sh'], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
    });
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (data: string) => {
      stdout += data;
      if (!pending) return;
      const at = stdout.indexOf(`\n${pending.marker} `);
      if (at === -1) return;
      const end = stdout.indexOf('\n', at + 1 + pending.marker.length);
      if (end === -1) return;
      const exitCode = Number(stdout.slice(at + pending.marker.length + 2, end));
      const output = stdout.slice(0, at);
      stdout = stdout.slice(end + 1);
      const done = pending;
      pending = undefined;
      done.resolve({ exitCode, stdout: clean(output), stderr: clean(output) });
    });
    proc.stderr.on('data', (data: string) => {
      if (stderr.length < 16_384) stderr += data;
    });
    // ssh exits with 255 when the connection fails or drops: the waiting command fails with its message.
    void proc.then((result) => {
      if (child === proc) child = undefined;
      const done = pending;
      pending = undefined;
      done?.resolve({
        exitCode: result.exitCode === 0 ? 255 : (result.exitCode ?? 255),
        stdout: '',
        stderr: clean(stderr),
      });
    });
    proc.stdin.on('error', () => undefined);
    return proc;
  }

  function runNow(words: readonly string[], signal?: AbortSignal): Promise<ToolResult> {
    child ??= start();
    const proc = child;
    const marker = `__IMK_END_${++counter}__`;
    return new Promise<ToolResult>((resolve) => {
      // A stopped transfer ends the shell; the next command starts a new one.
      const onAbort = () => proc.kill('SIGTERM');
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
      proc.stdin.write(`${command} </dev/null 2>&1; printf '\\n%s %s\\n' '${marker}' "$?"\n`);
    });
  }

  return {
    run(words, signal) {
      const result = queue.then(() => runNow(words, signal));
      queue = result.catch(() => undefined);
      return result;
    },
    close() {
      const proc = child;
      child = undefined;
      if (proc) {
        proc.stdin.end();
        proc.kill('SIGTERM');
      }
    },
  };
}
