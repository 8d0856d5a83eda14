import { errorMessage, isImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import {
  describeResult,
  emptyResult,
  fetchUrl,
  type FetchMode,
  type FetchResult,
  type UrlRetriever,
} from '@imk/retriever-sdk';
import { URL_RETRIEVERS } from '../compose/url-retrievers.ts';
import { contextFrom, print } from '../context.ts';

/** `imk fetch <url...>` */
export async function fetchCommand(
  urls: string[],
  options: { root?: string; mode?: FetchMode; json?: boolean },
): Promise<void> {
  const { paths } = contextFrom(options);
  // stdout carries the job ids; progress and warnings go to stderr.
  const logger = createLogger('imk-fetch', { level: process.env.IMK_LOG_LEVEL ?? 'warn' });
  const results: FetchResult[] = [];
  for (const url of urls) {
    try {
      const result = await fetchUrl(url, { root: paths.root, logger, mode: options.mode }, URL_RETRIEVERS);
      results.push(result);
      if (options.json) continue;
      for (const job of result.jobs) print(job.jobId);
      for (const line of describeResult({ ...result, jobs: [] })) process.stderr.write(`${line}\n`);
    } catch (error) {
      // One link that cannot be fetched (not a URL, not found, private) is that link's failure: the links
      // after it are still fetched, and the ids of those before it still printed (with --json too).
      results.push(failedResult(url, error, URL_RETRIEVERS));
      const code = isImkError(error) ? ` [${error.code}]` : '';
      if (!options.json) process.stderr.write(`imk: ${errorMessage(error)}${code}\n`);
    }
  }
  if (options.json) print(JSON.stringify(results, null, 2));
  if (results.some((result) => result.failures.length > 0)) process.exitCode = 1;
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
