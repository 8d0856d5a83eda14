import { errorMessage, isImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import {
  describeResult,
  emptyResult,
  fetchUrl,
  linkWithoutCredentials,
  type FetchMode,
  type FetchResult,
  type UrlRetriever,
} from '@imk/retriever-sdk';
import { URL_RETRIEVERS } from '../compose/url-retrievers.ts';
import { contextFrom, print } from '../context.ts';
import { shutdownSignal } from '../shutdown.ts';

/** `imk fetch <url...>` */
export async function fetchCommand(
  urls: string[],
  options: { root?: string; mode?: FetchMode; json?: boolean },
): Promise<void> {
  const { paths } = contextFrom(options);
  // stdout carries the job ids; progress and warnings go to stderr.
  const logger = createLogger('imk-fetch', { defaultLevel: 'warn' });
  const results: FetchResult[] = [];
  // Ctrl-C (or SIGTERM) stops the download under way: before, the process died at once and left yt-dlp's
  // half-written download in state/youtube-retriever/work/ for good, saying nothing.
  const shutdown = shutdownSignal(logger);
  try {
    for (const [index, url] of urls.entries()) {
      if (shutdown.signal.aborted) {
        // Stopped just as the link before it was done.
        saysNotTried(urls.slice(index), shutdown.signal);
        break;
      }
      try {
        const result = await fetchUrl(
          url,
          { root: paths.root, logger, mode: options.mode, signal: shutdown.signal },
          URL_RETRIEVERS,
        );
        results.push(result);
        if (options.json) continue;
        for (const job of result.jobs) print(job.jobId);
        for (const line of describeResult({ ...result, jobs: [] })) process.stderr.write(`${line}\n`);
      } catch (error) {
        if (shutdown.signal.aborted) {
          saysStopped(url, shutdown.signal);
          saysNotTried(urls.slice(index + 1), shutdown.signal);
          results.push(failedResult(url, error, URL_RETRIEVERS));
          break;
        }
        // One link that cannot be fetched (not a URL, not found, private) is that link's failure: the links
        // after it are still fetched, and the ids of those before it still printed (with --json too).
        results.push(failedResult(url, error, URL_RETRIEVERS));
        const code = isImkError(error) ? ` [${error.code}]` : '';
        if (!options.json) process.stderr.write(`imk: ${errorMessage(error)}${code}\n`);
      }
    }
  } finally {
    shutdown.dispose();
  }
  if (options.json) print(JSON.stringify(results, null, 2));
  if (results.some((result) => result.failures.length > 0)) process.exitCode = 1;
  // Stopped: what was under way has ended and left nothing half-done; the process ends by the signal (130 in
  // a shell), as a program stopped by Ctrl-C does, so that a script tells a stop from a failed download.
  shutdown.exitOnceStopped();
}

/**
 * Says on stderr (with --json too) that the stop ended the fetch of `url`: its download stopped, its work
 * folder removed; whatever of it was already queued stays queued, and is skipped when it is fetched again.
 */
function saysStopped(url: string, signal: AbortSignal): void {
  process.stderr.write(
    `imk: ${errorMessage(signal.reason)} while fetching ${linkWithoutCredentials(url)}: its download was stopped and nothing half-done was kept; run the same command again to fetch it (whatever of it was queued already is skipped, not fetched twice) [ABORTED]\n`,
  );
}

/** Says on stderr the links the stop came before (none: nothing said). */
function saysNotTried(urls: string[], signal: AbortSignal): void {
  if (urls.length === 0) return;
  process.stderr.write(
    `imk: ${errorMessage(signal.reason)}: not fetched: ${urls.map(linkWithoutCredentials).join(' ')} [ABORTED]\n`,
  );
}

/** A link that failed whole, as a result: its one failure with the error's code and message. */
function failedResult(url: string, error: unknown, retrievers: readonly UrlRetriever[]): FetchResult {
  let name = 'none';
  try {
    name = retrievers.find((retriever) => retriever.matches(new URL(url.trim())))?.name ?? name;
  } catch {
    // not a URL: no retriever took it
  }
  return {
    ...emptyResult(name, url),
    failures: [{ code: isImkError(error) ? error.code : 'FAILED', message: errorMessage(error) }],
  };
}
