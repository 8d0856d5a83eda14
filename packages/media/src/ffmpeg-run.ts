import { ImkError } from '@imk/errors';
import { execa } from 'execa';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';
import { missingInputs } from './missing-file.ts';
import { withOpenInputs, type Within } from './untrusted-inputs.ts';
import './errors.ts';

/** The last non-empty lines of a tool's stderr, joined, for error messages. */
export function lastLines(text: string | undefined, count: number): string {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}

/** The arguments every ffmpeg run starts with: quiet, no stdin, never ask before overwriting. */
export const FFMPEG_BASE_ARGS = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y'];

export interface RunFfmpegOptions {
  signal?: AbortSignal;
  /** Names the step and file in errors, e.g. `encoding song.wav to song.m4a`. */
  what: string;
  /**
   * Longest run accepted, in milliseconds; then ffmpeg is stopped (SIGTERM, SIGKILL if it does not go) and
   * the run fails with FFMPEG_TIMED_OUT. For work a request waits on (a preview), where input someone else
   * wrote (a huge sparse file) must not hold a process for ever. No limit when unset.
   */
  timeoutMs?: number;
  /** The folder someone else writes that untrusted inputs come from (a job's bundle): see OpenInputsOptions. */
  within?: Within;
}

/** Runs ffmpeg to completion; ImkError('FFMPEG_FAILED') with its last stderr lines, or 'ABORTED'. */
export async function runFfmpeg(
  args: string[],
  options: RunFfmpegOptions,
): Promise<{ stdout: string; stderr: string }> {
  const ffmpeg = await resolveTool('ffmpeg');
  // A later -loglevel in `args` (e.g. info, to read a filter's report) overrides the base one.
  // Each untrusted input is read from the descriptor opened and checked here (untrusted-inputs.ts).
  const result = await withOpenInputs(
    args,
    async (opened) => {
      const run = await trackToolGroup(
        execa(ffmpeg, [...FFMPEG_BASE_ARGS, ...opened.args], {
          ...OWN_PROCESS_GROUP,
          reject: false,
          cancelSignal: options.signal,
          stdio: opened.stdio,
          maxBuffer: 64 * 1024 * 1024,
          ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
        }),
      );
      return { ...run, stderr: opened.named(run.stderr) };
    },
    withinOption(options.within),
  );
  if (result.timedOut)
    throw new ImkError(
      'FFMPEG_TIMED_OUT',
      `ffmpeg took longer than ${String(options.timeoutMs)} ms ${options.what}; it was stopped`,
      { details: { timeoutMs: options.timeoutMs } },
    );
  if (result.isCanceled)
    throw new ImkError('ABORTED', `aborted while ${options.what}`, { cause: options.signal?.reason });
  if (result.exitCode !== 0) {
    // An input moved or deleted while the job ran: ffmpeg's "No such file or directory" said plainly.
    const missing = await missingInputs(args);
    const why =
      missing.length > 0
        ? missing.join('; ')
        : killedBy(result.signal) || lastLines(result.stderr, 3) || `exit ${String(result.exitCode)}`;
    throw new ImkError('FFMPEG_FAILED', `ffmpeg failed ${options.what}: ${why}`, {
      details: { exitCode: result.exitCode, signal: result.signal },
    });
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

/** `{ within }` when there is one: the options object media readers hand on. */
export function withinOption(within: Within | undefined): { within?: Within } {
  return within === undefined ? {} : { within };
}

/**
 * Why a tool was killed by a signal, in plain words ('' when it exited): SIGXFSZ is the file size limit
 * (ulimit -f) reached by what it wrote, which it does not say itself; any other signal is named.
 */
export function killedBy(signal: string | undefined): string {
  if (signal === undefined) return '';
  if (signal === 'SIGXFSZ')
    return "it was stopped by SIGXFSZ: the file size limit was reached writing its output (ulimit -f, or the filesystem's largest file)";
  return `it was killed by ${signal}`;
}

let soxr: Promise<boolean> | undefined;

/** Whether this ffmpeg was built with libsoxr (the better resampler). */
export function ffmpegHasSoxr(): Promise<boolean> {
  soxr ??= resolveTool('ffmpeg')
    .then((ffmpeg) =>
      trackToolGroup(
        execa(ffmpeg, ['-hide_banner', '-buildconf'], {
          ...OWN_PROCESS_GROUP,
          reject: false,
          stdin: 'ignore',
        }),
      ),
    )
    .then((r) => r.stdout.includes('--enable-libsoxr'));
  return soxr;
}
