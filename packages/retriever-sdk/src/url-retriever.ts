import { ImkError } from '@imk/errors';
import { capText } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import './errors.ts';

export const FETCH_MODES = ['audio', 'video', 'both'] as const;
export type FetchMode = (typeof FETCH_MODES)[number];

export interface FetchOptions {
  /** audio, video or both (two jobs). Retrievers that only give audio ignore it. @default the retriever's config */
  mode?: FetchMode | undefined;
  /** Folder holding queues/, config/, state/. */
  root: string;
  logger: Logger;
  signal?: AbortSignal | undefined;
}

export interface FetchedJob {
  jobId: string;
  queue: string;
  /** The published bundle folder. */
  dir: string;
  title?: string | undefined;
}

export interface FetchSkip {
  /** What was skipped: a video id, a track. */
  id: string;
  reason: string;
}

export interface FetchFailure {
  id?: string | undefined;
  code: string;
  message: string;
}

/** What one URL gave: jobs published, entries skipped (already fetched), entries that failed. */
export interface FetchResult {
  retriever: string;
  url: string;
  jobs: FetchedJob[];
  skipped: FetchSkip[];
  failures: FetchFailure[];
  warnings: string[];
}

/** A retriever that takes URLs (YouTube, Deezer, …), used by `imk fetch`, POST /api/requests and request files. */
export interface UrlRetriever {
  name: string;
  /** Human text for error messages, e.g. "Deezer track, album and playlist links". */
  accepts: string;
  /** Whether this retriever takes the URL (checked in order; the first that matches wins). */
  matches(url: URL): boolean;
  fetch(url: string, options: FetchOptions): Promise<FetchResult>;
  /** Where request files for this retriever go (POST /api/requests with `wait: false` writes one there). */
  requestFolder(root: string): Promise<UrlRequestFolderSpec>;
}

/** A retriever's request folder: URL files (see url-request-folder.ts) with its own extension. */
export interface UrlRequestFolderSpec {
  dir: string;
  /** `.txt` for YouTube, `.deezer` for Deezer. */
  extension: string;
  /** Whether a `mode: audio|video|both` line is understood (Deezer gives audio only). */
  modes: boolean;
}

/** Fetches a URL with the first retriever that takes it (`imk fetch`, POST /api/requests). */
export async function fetchUrl(
  url: string,
  options: FetchOptions,
  retrievers: readonly UrlRetriever[],
): Promise<FetchResult> {
  const picked = pickRetriever(retrievers, url);
  return picked.retriever.fetch(picked.url.href, options);
}

/**
 * Longest link taken. Web servers refuse longer request lines (HTTP 414/431) and a program cannot be given
 * an argument of 128 KiB: a longer "link" is a paste gone wrong, said as such before anything runs.
 */
export const MAX_URL_CHARS = 8192;
/** How much of a long text a message quotes: enough to recognise the line, never the whole of it. */
const QUOTED_CHARS = 200;

/** The start of a user's text for a message (a link or a line of a request file), with its length when cut. */
export function quotedStart(text: string): string {
  return capText(text, QUOTED_CHARS);
}

/**
 * What surrounds a pasted link without being part of it: white space, and the invisible format characters
 * (Unicode Cf) that chat apps, web pages and right-to-left text put beside links: zero-width space (U+200B),
 * joiners, left-to-right and right-to-left marks (U+200E/F), bidi embeddings, word joiner (U+2060), BOM.
 */
const AROUND_LINK = /^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu;
/** Between two pasted links: white space or an invisible format character. */
export const BETWEEN_LINKS = /[\s\p{Cf}]+/u;

/**
 * A pasted link without what surrounds it (see AROUND_LINK). A zero-width space before a link made it
 * "not a URL" (the message showing a link that looked right); one after it was sent to the site as
 * `%E2%80%8B`, part of the video's or track's id.
 */
export function trimLink(text: string): string {
  return text.replace(AROUND_LINK, '');
}

/** Parses a URL given by a user, accepting only http(s): nothing else may reach a downloader. */
export function parseHttpUrl(text: string): URL {
  const trimmed = trimLink(text);
  const shown = quotedStart(trimmed);
  if (trimmed.length > MAX_URL_CHARS)
    throw new ImkError(
      'INVALID_URL',
      `"${shown}" is ${trimmed.length} characters long, more than a link can be (${MAX_URL_CHARS}); check that it holds the one link you meant`,
    );
  // Several links pasted at once: the URL parser would take them for one (a space becomes %20 in its path,
  // a line break is dropped and the links run together), fetch a link nobody gave and answer 404.
  const links = trimmed.split(BETWEEN_LINKS).filter((part) => /^https?:\/\//i.test(part));
  if (links.length > 1)
    throw new ImkError(
      'INVALID_URL',
      `"${shown}" holds ${String(links.length)} links, not one: give one link at a time (\`imk fetch <link> <link> …\` takes several, and a request file one per line)`,
    );
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ImkError(
      'INVALID_URL',
      `"${shown}" is not a URL; give a full link such as https://www.youtube.com/watch?v=…`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ImkError(
      'INVALID_URL',
      `only http(s) links are accepted, got a ${url.protocol} URL ("${shown}"); paste the page's https:// link`,
    );
  return url;
}

/**
 * A link as a job records it: without the user name and password of `https://user:pass@host/…` (a file
 * server's login), which must not travel with the job into its bundle, manifest and dashboard. Text that
 * is no URL is returned as it is.
 */
export function linkWithoutCredentials(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.username === '' && url.password === '') return text;
  url.username = '';
  url.password = '';
  return url.href;
}

/** The first retriever that takes the URL, or a clear UNSUPPORTED_URL error naming what is accepted. */
export function pickRetriever(
  retrievers: readonly UrlRetriever[],
  text: string,
): { retriever: UrlRetriever; url: URL } {
  const url = parseHttpUrl(text);
  const retriever = retrievers.find((candidate) => candidate.matches(url));
  if (!retriever)
    throw new ImkError(
      'UNSUPPORTED_URL',
      `no retriever takes ${url.href}; accepted: ${retrievers.map((r) => r.accepts).join('; ')}`,
    );
  return { retriever, url };
}

export function emptyResult(retriever: string, url: string): FetchResult {
  return { retriever, url, jobs: [], skipped: [], failures: [], warnings: [] };
}

/** One line per job / skip / failure, for request files, the CLI and logs. */
export function describeResult(result: FetchResult): string[] {
  return [
    ...result.jobs.map((job) => `job ${job.jobId} -> ${job.queue}${job.title ? ` (${job.title})` : ''}`),
    ...result.skipped.map((skip) => `skipped ${skip.id}: ${skip.reason}`),
    ...result.failures.map(
      (failure) => `failed ${failure.id ?? result.url}: ${failure.message} [${failure.code}]`,
    ),
    ...result.warnings.map((warning) => `warning: ${warning}`),
  ];
}
