import { Option, type Command } from 'commander';
import { createLogger } from '@imk/log';
import { FETCH_MODES, describeResult, type FetchMode, type FetchResult } from '@imk/retriever-sdk';
import { fetchUrl } from '@imk/retriever-sdk';
import { URL_RETRIEVERS } from '../compose/url-retrievers.ts';
import { contextFrom, print, withRoot } from '../context.ts';

export function registerFetch(program: Command): void {
  withRoot(
    program
      .command('fetch')
      .argument('<url...>', 'YouTube (or other yt-dlp site) or Deezer track/album/playlist links')
      .description('fetch songs by URL into the queues; prints the job ids (one per line)')
      .addOption(
        new Option(
          '--mode <mode>',
          'audio, video or both (YouTube; default from config/youtube-retriever.yaml, else audio)',
        ).choices(FETCH_MODES),
      )
      .option('--json', 'print the full result of each URL as JSON'),
  ).action(async (urls: string[], options: { root?: string; mode?: FetchMode; json?: boolean }) => {
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
  });
}
