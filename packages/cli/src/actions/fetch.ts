import { createLogger } from '@imk/log';
import { describeResult, type FetchMode, type FetchResult } from '@imk/retriever-sdk';
import { fetchUrl } from '@imk/retriever-sdk';
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
    const result = await fetchUrl(url, { root: paths.root, logger, mode: options.mode }, URL_RETRIEVERS);
    results.push(result);
    if (options.json) continue;
    for (const job of result.jobs) print(job.jobId);
    for (const line of describeResult({ ...result, jobs: [] })) process.stderr.write(`${line}\n`);
  }
  if (options.json) print(JSON.stringify(results, null, 2));
  if (results.some((result) => result.failures.length > 0)) process.exitCode = 1;
}
