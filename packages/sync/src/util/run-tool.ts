import { execa } from 'execa';
import { OWN_PROCESS_GROUP, trackToolGroup } from '@imk/tools';
import { syncError } from '../errors.ts';
import { redactText } from './secrets.ts';

const INSTALL_HINT: Record<string, string> = {
  rsync: 'apt-get install rsync',
  ssh: 'apt-get install openssh-client',
  rclone: 'apt-get install rclone (or see https://rclone.org/install/)',
};

/**
 * The environment every tool nas-sync starts runs with (rsync, ssh and the commands it runs on the server,
 * rclone): the user's, with the C locale, so that what a tool says is said in English whatever LANG or
 * LC_ALL is set to here (or, through ssh's `SendEnv LANG LC_*`, on the server: `mv`, `rm`, `sh` translate
 * their messages) and the failure classifiers, which know tools by their words where no exit code tells
 * (a full disk, a refused permission), recognise it.
 */
export function toolEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...(env ?? process.env), LC_ALL: 'C', LANG: 'C', LANGUAGE: '' };
}

export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions {
  signal?: AbortSignal;
  /** Strings (key paths, passwords) to cut out of any text that could reach a log. */
  sensitive?: readonly (string | undefined)[];
  env?: NodeJS.ProcessEnv;
  /** Text fed on stdin. */
  input?: string;
  /** Told the tool's process id once it started. */
  onStart?: (pid: number) => void;
  /**
   * Told each time the tool writes to stdout or stderr (a sign of progress for a watchdog); its stdout is then
   * progress, not kept (a long run would fill the buffer).
   */
  onOutput?: () => void;
  /**
   * Run by the local helper process (local-worker.ts), which is in a process group of its own that imk ends
   * whole: the tool stays in it (in a group of its own, it would outlive a helper killed with SIGKILL).
   */
  inHelper?: boolean;
}

/**
 * Runs an external tool with an argument array (never a shell string) and returns its exit code and output
 * with sensitive strings removed. Never throws for a non-zero exit: backends classify the failure.
 * Throws TOOL_MISSING (final) when the program is not installed.
 */
export async function runTool(
  binary: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  // In a process group of its own (tool-group.ts): a Ctrl-C meant for imk does not kill a transfer under it.
  // Run by the local helper, in the helper's group: imk ends that group whole, the helper with its tools.
  const group = options.inHelper === true ? {} : OWN_PROCESS_GROUP;
  const started = execa(binary, args, {
    ...group,
    reject: false,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    input: options.input,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    env: toolEnv(options.env),
    extendEnv: false,
    // Enough for lsjson/hashsum output; transfers stream nothing to stdout.
    maxBuffer: 16 * 1024 * 1024,
    buffer: { stdout: options.onOutput === undefined, stderr: true },
    stripFinalNewline: true,
  });
  const subprocess = options.inHelper === true ? started : trackToolGroup(started);
  if (subprocess.pid !== undefined) options.onStart?.(subprocess.pid);
  const { onOutput } = options;
  if (onOutput) {
    subprocess.stdout?.on('data', () => onOutput());
    subprocess.stderr?.on('data', () => onOutput());
  }
  const result = await subprocess;
  if (
    (result as { code?: string }).code === 'ENOENT' ||
    (result.failed && result.exitCode === undefined && !result.isCanceled)
  ) {
    const hint = INSTALL_HINT[binary] ?? `install ${binary}`;
    throw syncError('TOOL_MISSING', `${binary} is not installed or not on PATH; ${hint}`);
  }
  if (result.isCanceled) throw syncError('ABORTED', `${binary} was stopped`);
  const clean = (text: unknown): string =>
    redactText(typeof text === 'string' ? text : '', options.sensitive ?? []);
  return { exitCode: result.exitCode ?? -1, stdout: clean(result.stdout), stderr: clean(result.stderr) };
}

/** The last lines of a tool's stderr, for an error message. */
export function stderrTail(stderr: string, lines = 4): string {
  const tail = stderr.trim().split('\n').slice(-lines).join(' | ');
  return tail === '' ? '(no output)' : tail;
}
