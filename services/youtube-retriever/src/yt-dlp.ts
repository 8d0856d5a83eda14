import { createRequire } from 'node:module';
import type YTDlpWrapModule from 'yt-dlp-wrap';
import { ImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { resolveTool } from '@imk/tools';
import { mapYtDlpError } from './yt-dlp-errors.ts';

// yt-dlp-wrap is CommonJS with `exports.default`. An ESM default import of it differs between Node and
// vitest's loader; require() gives the same object everywhere.
const { default: YTDlpWrap } = createRequire(import.meta.url)('yt-dlp-wrap') as typeof YTDlpWrapModule;

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

/**
 * Finds yt-dlp (config path, $IMK_YT_DLP or PATH; it is never downloaded) and wraps it with yt-dlp-wrap,
 * constructed with that resolved path.
 */
export async function createYtDlp(options: YtDlpOptions): Promise<YtDlp> {
  const binary = await resolveYtDlp(options.binary);
  const wrap = new YTDlpWrap(binary);
  const baseArgs = options.baseArgs ?? [];
  return {
    binary,
    async run(args, url, signal) {
      const argv = [...baseArgs, ...args, '--', url];
      options.logger.debug({ binary, args: argv }, 'running yt-dlp');
      try {
        // stdin stays unused: yt-dlp never prompts with the options we give it.
        return await wrap.execPromise(argv, { env: ytDlpEnv() }, signal ?? null);
      } catch (error) {
        if (signal?.aborted)
          throw new ImkError('ABORTED', `yt-dlp stopped: the fetch of ${url} was aborted`, { cause: error });
        throw mapYtDlpError(restated(stderrOf(error), options.saidAs), url);
      }
    },
    async version() {
      return (await wrap.execPromise(['--version'], { env: ytDlpEnv() })).trim();
    },
  };
}

/** yt-dlp through the one tool resolver: ytDlpPath from config, else $IMK_YT_DLP, else PATH. */
export function resolveYtDlp(configured?: string): Promise<string> {
  return resolveTool('yt-dlp', { configured, configuredIn: 'ytDlpPath in config/youtube-retriever.yaml' });
}

function ytDlpEnv(): NodeJS.ProcessEnv {
  // Unbuffered, UTF-8 output so that error lines arrive whole and names keep their accents.
  return { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' };
}

/** `text` with every path of `saidAs` replaced by the name the user knows it by. */
function restated(text: string, saidAs: ReadonlyMap<string, string> | undefined): string {
  let said = text;
  for (const [path, as] of saidAs ?? []) said = said.split(path).join(as);
  return said;
}

/** yt-dlp-wrap puts stderr into the error message after "Stderr:". */
function stderrOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = message.indexOf('Stderr:\n');
  return at >= 0 ? message.slice(at + 'Stderr:\n'.length) : message;
}
