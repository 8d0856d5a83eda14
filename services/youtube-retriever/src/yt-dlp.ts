import { execa } from 'execa';
import { ImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';
// The light module, not the SDK's index: imk doctor loads this file to ask yt-dlp its version.
import { linkWithoutCredentials } from '@imk/retriever-sdk/url-retriever';
import { DEFAULT_STALL_TIMEOUT_SEC } from './config.ts';
import { watchStall } from './stall-watch.ts';
import { mapYtDlpError } from './yt-dlp-errors.ts';
import './errors.ts';

export interface YtDlp {
  binary: string;
  /**
   * setpriv (util-linux), when found: each run is put under a guard that ends yt-dlp and every process it
   * started (the ffmpeg of a merge or a download) when the service dies, even by SIGKILL. Undefined: runs
   * are not guarded (doctor says so).
   */
  guard: string | undefined;
  /**
   * Runs yt-dlp with `args` then `--` and the URL; returns stdout. Failures become mapped ImkErrors. One
   * that makes no progress (no output, nothing growing in `watchDir`) for the stall bound is stopped, its
   * whole process group, and fails YT_DLP_STALLED.
   */
  run(args: string[], url: string, signal?: AbortSignal, watchDir?: string): Promise<string>;
  version(): Promise<string>;
}

export interface YtDlpOptions {
  /** Path from config; else $IMK_YT_DLP, else PATH. */
  binary?: string | undefined;
  logger: Logger;
  /** Arguments put before every call's own (config-wide: cookies, timeouts, cache folder). */
  baseArgs?: string[];
  /**
   * Paths yt-dlp is given that the user knows by another name (the private copy of the cookies file →
   * the cookiesFile they configured): its errors quote the first, the user is told the second.
   */
  saidAs?: ReadonlyMap<string, string>;
  /**
   * A run that shows no progress for this long is stopped (stallTimeoutSec in config/youtube-retriever.yaml).
   * @default DEFAULT_STALL_TIMEOUT_SEC
   */
  stallMs?: number;
}

// Unbuffered, UTF-8 output so that error lines arrive whole and names keep their accents (over the
// environment, which execa passes on).
const YT_DLP_ENV = { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' };

/** How long a stalled yt-dlp is given to end on SIGTERM before its group is killed. */
const STALL_KILL_AFTER_MS = 5000;

/** A playlist's JSON can be large; what yt-dlp-wrap allowed before. */
const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;

/**
 * The guard yt-dlp runs under (`setpriv --pdeathsig TERM -- /bin/sh -c GROUP_GUARD yt-dlp <binary> <args>`):
 * the shell is the leader of the run's own process group, and the kernel sends it SIGTERM when the service
 * that started it dies, however it died (a SIGKILL, the OOM killer); its trap then kills the whole group,
 * yt-dlp and the ffmpeg it runs. (setpriv's --pdeathsig alone reaches only yt-dlp itself: a child does not
 * inherit it, so an ffmpeg downloading or merging would go on.) The stop of a fetch (a cancel, the service
 * stopping) signals the group as before and ends it the same way. The script is fixed text; the program
 * and its arguments are positional parameters ("$@"), never parsed by the shell.
 */
const GROUP_GUARD = 'trap "kill -KILL 0" TERM; "$@" & wait $!';

/**
 * Finds yt-dlp (config path, $IMK_YT_DLP or PATH; it is never downloaded) and runs it through execa with
 * argument arrays, under the guard (GROUP_GUARD) when setpriv is found.
 */
export async function createYtDlp(options: YtDlpOptions): Promise<YtDlp> {
  const binary = await resolveYtDlp(options.binary);
  const baseArgs = options.baseArgs ?? [];
  const guard = await resolveTool('setpriv').catch(() => undefined);
  return {
    binary,
    guard,
    async run(args, url, signal, watchDir) {
      const argv = [...baseArgs, ...args, '--', url];
      const aborted = (cause?: unknown) =>
        new ImkError('ABORTED', `yt-dlp stopped: the fetch of ${url} was aborted`, { cause });
      if (signal?.aborted) throw aborted(signal.reason);
      options.logger.debug({ binary, args: argv }, 'running yt-dlp');
      // stdin stays unused: yt-dlp never prompts with the options we give it. In a process group of its own,
      // so that a stop ends yt-dlp and the ffmpeg it runs for merges and conversions together.
      const [program, programArgs] =
        guard === undefined
          ? [binary, argv]
          : [guard, ['--pdeathsig', 'TERM', '--', '/bin/sh', '-c', GROUP_GUARD, 'yt-dlp', binary, ...argv]];
      // Tracked (tool-group.ts): out of reach of a Ctrl-C meant for imk, it ends with imk when imk ends.
      const child = trackToolGroup(
        execa(program, programArgs, {
          ...OWN_PROCESS_GROUP,
          env: YT_DLP_ENV,
          stdin: 'ignore',
          reject: false,
          stripFinalNewline: false,
          maxBuffer: MAX_OUTPUT_BYTES,
        }),
      );
      // Listened to for as long as the run lasts, and only its own group is signalled. Before, yt-dlp-wrap
      // was handed the signal: its listener stayed on it after the run (a service's lifetime signal gathered
      // one per run), and at the stop ran `pgrep -P <pid> | xargs -L 1 kill` for each, finished runs too:
      // kill's usage message on stderr, or the children of whatever process had that pid by then signalled.
      const stop = () => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
          try {
            process.kill(-child.pid, 'SIGTERM');
          } catch {
            // Gone already.
          }
      };
      signal?.addEventListener('abort', stop, { once: true });
      const stall = watchStall(options.stallMs ?? DEFAULT_STALL_TIMEOUT_SEC * 1000, watchDir);
      child.stdout?.on('data', () => stall.progress());
      child.stderr?.on('data', () => stall.progress());
      // A yt-dlp that ignores the SIGTERM is killed outright a moment later.
      let kill: NodeJS.Timeout | undefined;
      stall.signal.addEventListener('abort', () => {
        stop();
        kill = setTimeout(() => {
          if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {
              // Gone already.
            }
        }, STALL_KILL_AFTER_MS);
      });
      let result;
      try {
        result = await child;
      } finally {
        signal?.removeEventListener('abort', stop);
        stall.stop();
        clearTimeout(kill);
      }
      if (signal?.aborted) throw aborted();
      if (stall.stalledSec !== undefined)
        throw new ImkError(
          'YT_DLP_STALLED',
          `yt-dlp made no progress on ${linkWithoutCredentials(url)} for ${stall.stalledSec} s (no output${watchDir === undefined ? '' : ', nothing downloaded'}), so it was stopped and nothing of it was kept: a hung yt-dlp or a site that stopped answering without closing the connection. Try again later; if it keeps happening, update yt-dlp, or raise stallTimeoutSec in config/youtube-retriever.yaml for a very slow source`,
          { details: { url: linkWithoutCredentials(url), stalled_sec: stall.stalledSec } },
        );
      if (!result.failed) return result.stdout;
      // A non-zero exit says why on stderr; a yt-dlp that could not be started, in execa's message.
      throw mapYtDlpError(
        restated(result.stderr || (result.message ?? ''), options.saidAs),
        url,
        result.exitCode,
      );
    },
    async version() {
      const result = await trackToolGroup(
        execa(binary, ['--version'], { ...OWN_PROCESS_GROUP, env: YT_DLP_ENV, stdin: 'ignore' }),
      );
      return result.stdout.trim();
    },
  };
}

/** yt-dlp through the one tool resolver: ytDlpPath from config, else $IMK_YT_DLP, else PATH. */
export function resolveYtDlp(configured?: string): Promise<string> {
  return resolveTool('yt-dlp', { configured, configuredIn: 'ytDlpPath in config/youtube-retriever.yaml' });
}

/** `text` with every path of `saidAs` replaced by the name the user knows it by. */
function restated(text: string, saidAs: ReadonlyMap<string, string> | undefined): string {
  let said = text;
  for (const [path, as] of saidAs ?? []) said = said.split(path).join(as);
  return said;
}
