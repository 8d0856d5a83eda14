import { ImkError, errorMessage, isImkError, orList } from '@imk/errors';
import type { Logger } from '@imk/log';
import {
  createRequestFolder,
  type RequestFile,
  type RequestFolder,
  type RequestResult,
} from './request-folder.ts';
import {
  BETWEEN_LINKS,
  FETCH_MODES,
  describeResult,
  quotedStart,
  trimLink,
  type FetchMode,
  type FetchResult,
} from './url-retriever.ts';
import './errors.ts';

export interface UrlRequestFolderOptions {
  dir: string;
  /** e.g. ['.txt'] for YouTube, ['.deezer'] for Deezer. */
  extensions: string[];
  /** Fetches one URL. */
  fetch: (url: string, mode: FetchMode | undefined, signal: AbortSignal | undefined) => Promise<FetchResult>;
  logger: Logger;
  stableChecks?: number;
}

/**
 * A request folder whose files hold URLs, one per line, and optionally a `mode: audio|video|both` line.
 * The file becomes `.done` when every URL worked (job ids appended as comments), else `.fail` with a
 * `.fail.reason` file listing what failed and why.
 */
export function createUrlRequestFolder(options: UrlRequestFolderOptions): RequestFolder {
  return createRequestFolder({
    dir: options.dir,
    extensions: options.extensions,
    logger: options.logger,
    ...(options.stableChecks !== undefined && { stableChecks: options.stableChecks }),
    handle: (request) => handleUrlRequest(request, options),
  });
}

async function handleUrlRequest(
  request: RequestFile,
  options: UrlRequestFolderOptions,
): Promise<RequestResult> {
  let mode: FetchMode | undefined;
  const urls = new Set<string>();
  const notes: string[] = [];
  for (const line of request.lines) {
    const text = withoutComment(line);
    const setting = /^mode\s*[:=]\s*(\S+)$/i.exec(text);
    if (setting) {
      const value = setting[1]?.toLowerCase();
      if (!FETCH_MODES.includes(value as FetchMode))
        throw new ImkError(
          'INVALID_REQUEST',
          `${request.name}: "${quotedStart(line)}" is not a mode; use mode: ${orList(FETCH_MODES)}`,
        );
      mode = value as FetchMode;
      continue;
    }
    for (const url of urlsOf(text)) {
      // A link pasted twice is fetched once: a second run would download it again (a Deezer album whole).
      if (urls.has(url))
        notes.push(`skipped ${quotedStart(url)}: listed more than once in ${request.name}; fetched once`);
      else urls.add(url);
    }
  }
  if (urls.size === 0)
    throw new ImkError('INVALID_REQUEST', `${request.name} holds no URL; put one link per line`);
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const result = await options.fetch(url, mode, request.signal);
      notes.push(...describeResult(result));
      if (result.failures.length > 0)
        failures.push(`${quotedStart(url)}: ${result.failures.length} of its entries failed (listed below)`);
    } catch (error) {
      const code = isImkError(error) ? ` [${error.code}]` : '';
      // The line quoted by its start: a 300 KB line quoted whole left no room for why it failed.
      failures.push(`${quotedStart(url)}: ${errorMessage(error)}${code}`);
    }
  }
  return { notes, failure: failures.length > 0 ? failures.join('\n') : undefined };
}

/** A line without its `# comment`: a link holds no space, so a `#` after one starts a note of the user's. */
function withoutComment(line: string): string {
  return trimLink(line.replace(/\s#.*$/, ''));
}

/**
 * The links of one line: several pasted on one line with spaces between them are each one. Anything else
 * is one entry, said whole if it is no link ("hello world" is not a URL), never cut into words.
 */
function urlsOf(text: string): string[] {
  const words = text.split(BETWEEN_LINKS);
  return words.length > 1 && words.every((word) => /^https?:\/\/\S/i.test(word)) ? words : [text];
}
