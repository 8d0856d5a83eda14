import { execa } from 'execa';
import { ImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { resolveTool } from '@imk/tools';
import { mapYtDlpError } from './yt-dlp-errors.ts';

export interface YtDlp {
  binary: string;
  /** Runs yt-dlp with `args` then `--` and the URL; returns stdout. Failures become mapped ImkErrors. */
  run(args: string[], url: string, signal?: AbortSignal): Promise<string>;
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
}

// Unbuffered, UTF-8 output so that error lines arrive whole and names keep their accents (over the
// environment, which execa passes on).
const YT_DLP_ENV = { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' };

/** A playlist's JSON can be large; what yt-dlp-wrap allowed before. */
const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;

/**
 * Finds yt-dlp (config path, $IMK_YT_DLP or PATH; it is never downloaded) and runs it through execa with
 * argument arrays.
 */
export async function createYtDlp(options: YtDlpOptions): Promise<YtDlp> {
  const binary = await resolveYtDlp(options.binary);
  const baseArgs = options.baseArgs ?? [];
  return {
    binary,
    async run(args, url, signal) {
      const argv = [...baseArgs, ...args, '--', url];
      const aborted = (cause?: unknown) =>
        new ImkError('ABORTED', `yt-dlp stopped: the fetch of ${url} was aborted`, { cause });
      if (signal?.aborted) throw aborted(signal.reason);
      options.logger.debug({ binary, args: argv }, 'running yt-dlp');
      // stdin stays unused: yt-dlp never prompts with the options we give it. In a process group of its own,
      // so that a stop ends yt-dlp and the ffmpeg it runs for merges and conversions together.
      const child = execa(binary, argv, {
        env: YT_DLP_ENV,
        stdin: 'ignore',
        detached: true,
        reject: false,
        stripFinalNewline: false,
        maxBuffer: MAX_OUTPUT_BYTES,
      });
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
      let result;
      try {
        result = await child;
      } finally {
        signal?.removeEventListener('abort', stop);
      }
      if (signal?.aborted) throw aborted();
      if (!result.failed) return result.stdout;
      // A non-zero exit says why on stderr; a yt-dlp that could not be started, in execa's message.
      throw mapYtDlpError(
        restated(result.stderr || (result.message ?? ''), options.saidAs),
        url,
        result.exitCode,
      );
    },
    async version() {
      const result = await execa(binary, ['--version'], { env: YT_DLP_ENV, stdin: 'ignore' });
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
