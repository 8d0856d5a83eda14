import { mkdir, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { ImkError, errorMessage, isAbsentErrno, isImkError } from '@imk/errors';
import {
  appendUntrustedFile,
  capText,
  fileReadProblem,
  fitName,
  listNamesOrEmpty,
  moveNoClobber,
  moveToFreeName,
  readUntrustedFile,
  renameNamesNotUtf8,
} from '@imk/fs-safe';
import { redactText, type Logger } from '@imk/log';
import { graceAfter } from '@imk/tools';
import { runPollLoop } from './poll.ts';
import { HOLDER_SUFFIX, holdRequest, liveHolder, removeStaleHolder } from './request-holder.ts';
import { DEFAULT_STABLE_CHECKS } from './settings.ts';
import { createStabilityTracker, listFiles } from './stable-files.ts';
import { trimLink } from './url-retriever.ts';
import './errors.ts';

/** One request file, read and ready to handle. */
export interface RequestFile {
  /** The file while it is handled (renamed to a hidden `.working` name so that nothing picks it twice). */
  path: string;
  /** The name it was dropped with, e.g. `song.txt`. */
  name: string;
  text: string;
  /** Non-empty lines that are not `#` comments, trimmed (of white space and invisible characters: trimLink). */
  lines: string[];
  signal?: AbortSignal | undefined;
}

export interface RequestResult {
  /** Lines written into the `.done` / `.fail.reason` file (job ids, skipped entries). */
  notes: string[];
  /** Set when the request failed, even partly: the file becomes `.fail` with this reason beside it. */
  failure?: string | undefined;
}

export interface HandledRequest {
  name: string;
  outcome: 'done' | 'fail';
  /** Where the request file is now (`<stem>.done` or `<stem>.fail`). */
  path: string;
  /** `<stem>.fail.reason`, when it failed. */
  reasonPath?: string;
  notes: string[];
}

export interface RequestFolderOptions {
  dir: string;
  /** Extensions handled here, e.g. `['.txt']`; other files are left alone. */
  extensions: string[];
  handle: (request: RequestFile) => Promise<RequestResult>;
  logger: Logger;
  /** Consecutive identical looks before a file counts as completely written. @default DEFAULT_STABLE_CHECKS */
  stableChecks?: number;
}

export interface RequestFolder {
  /**
   * One pass: handles every request file that is stable, until `signal` aborts. The request under way then gets
   * `gracePeriodMs` (0 when not given) to finish; stopped after it, it is put back under its name, to be handled
   * again at the next scan (the next start), not failed.
   */
  scan(signal?: AbortSignal, gracePeriodMs?: number): Promise<HandledRequest[]>;
  /** Puts back files a crashed run left `.working` (call once at start-up). */
  recover(): Promise<string[]>;
  /**
   * Keeps the folder served until `signal` aborts: creates it, recovers, then scans every `intervalMs`
   * (polling is the truth; a watcher on the folder only starts the next pass early). Resolves once the
   * request in progress has ended.
   */
  serve(options: { intervalMs?: number; signal?: AbortSignal; gracePeriodMs?: number }): Promise<void>;
}

const WORKING = '.working';
const REASON_SUFFIX = '.reason';
/** Largest request file read: a list of links, not a document. */
export const REQUEST_MAX_BYTES = 1 << 20;

/**
 * A folder of request files (`.txt` URLs, `.deezer` links, …). Each stable file is handled once and then
 * renamed `<stem>.done`, or `<stem>.fail` with `<stem>.fail.reason` beside it: nothing is deleted.
 */
export function createRequestFolder(options: RequestFolderOptions): RequestFolder {
  const { dir, logger } = options;
  const extensions = options.extensions.map((ext) => ext.toLowerCase());
  const tracker = createStabilityTracker(options.stableChecks ?? DEFAULT_STABLE_CHECKS);
  const numbered = numberedIn(dir);

  async function handleOne(
    name: string,
    signal?: AbortSignal,
    stop?: AbortSignal,
  ): Promise<HandledRequest | undefined> {
    const original = join(dir, name);
    const working = join(dir, workingName(name));
    // Who handles it is written before it is claimed: another run's start-up never finds it unheld.
    const hold = await holdRequest(working);
    if (hold === undefined) return undefined; // another run handles one of this name: this one waits its turn
    try {
      // Never over a `.working` file another run is still handling: this request then waits its turn.
      if (!(await moveNoClobber(original, working))) {
        await hold.release();
        return undefined;
      }
    } catch (error) {
      await hold.release();
      if (isAbsentErrno(error)) return undefined; // taken by someone else
      throw error;
    }
    try {
      return await handleClaimed(name, original, working, signal, stop);
    } finally {
      await hold.release();
    }
  }

  async function handleClaimed(
    name: string,
    original: string,
    working: string,
    signal?: AbortSignal,
    stop?: AbortSignal,
  ): Promise<HandledRequest | undefined> {
    tracker.forget(original);
    let text: string;
    let encoding: TextEncoding = 'utf8';
    try {
      // fs-safe: a link (to /etc/passwd or anywhere), a FIFO or an oversized file is refused, never read.
      ({ text, encoding } = decodeText(
        await readUntrustedFile(working, { name, maxBytes: REQUEST_MAX_BYTES }),
      ));
    } catch (error) {
      return settle(name, working, { notes: [], failure: errorMessage(error) });
    }
    const lines = text
      .split(/\r?\n/)
      // Trimmed of white space and of invisible characters pasted with a link (a zero-width space).
      .map(trimLink)
      .filter((line) => line !== '' && !line.startsWith('#'));
    let result: RequestResult;
    try {
      result = await options.handle({ path: working, name, text, lines, signal });
    } catch (error) {
      const code = isImkError(error) ? ` [${error.code}]` : '';
      result = { notes: [], failure: `${errorMessage(error)}${code}` };
    }
    // Stopped by the service's stop (its grace period over) before it finished: that is no failure of the
    // request (marked .fail, it would never be fetched again); it is handled again at the next start. So is
    // one that failed once the stop came: that cannot be told from a tool the Ctrl-C reached (one started at
    // its very instant was still in imk's process group; yt-dlp says "Interrupted by user" and exits 1), and
    // a real failure then only costs one more try.
    if (result.failure !== undefined && (signal?.aborted || stop?.aborted))
      return putBack(name, working, signal?.aborted === true ? undefined : result.failure);
    return settle(name, working, result, encoding);
  }

  async function putBack(name: string, working: string, failure?: string): Promise<undefined> {
    const ext = extname(name);
    const back = await moveToFreeName(working, { candidate: numbered(basename(name, ext), ext) });
    logger.warn(
      {
        request: name,
        restored_as: basename(back),
        ...(failure !== undefined && { failure: forFile(failure) }),
      },
      failure === undefined
        ? 'the service stopped before this request was finished; it will be handled again at the next start'
        : 'this request failed while the service was stopping; not marked failed (the Ctrl-C may have ended its tool): it will be handled again at the next start',
    );
    return undefined;
  }

  async function settle(
    name: string,
    working: string,
    result: RequestResult,
    encoding: TextEncoding = 'utf8',
  ): Promise<HandledRequest> {
    const stem = basename(name, extname(name));
    const stamp = new Date().toISOString();
    if (result.failure === undefined) {
      const notes = result.notes.map(forFile);
      // Written into the claimed file before it takes its .done name, so that whoever waits for the .done
      // finds the job ids in it. A request that cannot take them (a full disk) is still settled: its jobs
      // were published, and handling it again would publish them twice.
      try {
        // In the file's own encoding: notes in UTF-8 at the end of a UTF-16 file would be unreadable in it.
        await appendUntrustedFile(
          working,
          encodeText(`\n# imk ${stamp}: done\n${notes.map((n) => `# ${n}\n`).join('')}`, encoding),
          { name },
        );
      } catch (error) {
        logger.warn(
          { request: name, err: errorMessage(error) },
          'could not write the job ids into the request file',
        );
      }
      const done = await moveToFreeName(working, { candidate: numbered(stem, '.done') });
      logger.info({ request: name, notes }, 'request done');
      return { name, outcome: 'done', path: done, notes: result.notes };
    }
    const failure = forFile(result.failure);
    const notes = result.notes.map(forFile);
    const text = `${failure}\n${notes.length > 0 ? `\n${notes.join('\n')}\n` : ''}\n(${stamp}; fix the cause and drop the request again)\n`;
    // The request and its reason take a name together, never over a file already there.
    const failed = await moveToFreeName(working, {
      candidate: numbered(stem, '.fail', Buffer.byteLength(REASON_SUFFIX)),
      companion: { suffix: REASON_SUFFIX, text: () => text },
    });
    const reasonPath = `${failed}${REASON_SUFFIX}`;
    logger.warn({ request: name, reason: failure }, 'request failed');
    return { name, outcome: 'fail', path: failed, reasonPath, notes: result.notes };
  }

  const folder: RequestFolder = {
    async scan(signal, gracePeriodMs = 0) {
      await mkdir(dir, { recursive: true });
      await renameNamesNotUtf8(dir, logger);
      const files = await listFiles(dir, (name) => extensions.includes(extname(name).toLowerCase()));
      const handled: HandledRequest[] = [];
      for (const file of tracker.update(files)) {
        if (signal?.aborted) break;
        // The stop keeps the next request from starting; the one under way is stopped only after the grace.
        const grace = graceAfter(signal, gracePeriodMs, () =>
          logger.info(
            { request: file.name, grace_ms: gracePeriodMs },
            'stopping: the request under way may finish',
          ),
        );
        try {
          const outcome = await handleOne(file.name, grace.signal, signal);
          if (outcome) handled.push(outcome);
        } catch (error) {
          // One request that cannot be moved (its folder went read-only, …) must not hold up the others.
          tracker.forget(file.path);
          logger.error(
            { request: file.name, err: errorMessage(error) },
            'request not handled; will try again',
          );
        } finally {
          grace.dispose();
        }
      }
      return handled;
    },
    async recover() {
      let names: string[];
      try {
        // Only a folder that is not there has nothing to put back; one that cannot be listed (no permission,
        // a link loop, I/O) is said, naming it: taken for empty, the requests left in it were lost silently.
        names = await listNamesOrEmpty(dir);
      } catch (error) {
        throw new ImkError(
          'REQUEST_FOLDER_UNREADABLE',
          `cannot list the requests folder ${dir} to put back the requests an earlier run left unfinished: ${fileReadProblem(error)}; make it a folder the retriever's user can read and write`,
          { cause: error, details: { folder: dir } },
        );
      }
      const restored: string[] = [];
      const present = new Set(names);
      for (const name of names) {
        // A holder record whose request is gone (a run killed between the two) is removed once unheld.
        if (name.endsWith(`${WORKING}${HOLDER_SUFFIX}`) && !present.has(name.slice(0, -HOLDER_SUFFIX.length)))
          await removeStaleHolder(join(dir, name.slice(0, -HOLDER_SUFFIX.length)));
        if (!name.startsWith('.') || !name.endsWith(WORKING)) continue;
        const original = name.slice(1, -WORKING.length);
        if (!extensions.includes(extname(original).toLowerCase())) continue;
        // One that a live run (a second `imk up` or retriever on this root, another host's) still handles is
        // its own: put back, it was handled twice, the same song fetched and queued by both.
        const holder = await liveHolder(join(dir, name));
        if (holder !== undefined) {
          logger.warn(
            { request: original, holder_pid: holder.pid, holder_host: holder.host, since: holder.since },
            `request ${original} is being handled by another running retriever (pid ${holder.pid} on ${holder.host}); left to it`,
          );
          continue;
        }
        // A request dropped since under the same name is kept too: the recovered one takes `<stem>-2<ext>`.
        const ext = extname(original);
        const back = await moveToFreeName(join(dir, name), {
          candidate: numbered(basename(original, ext), ext),
        });
        await unlink(`${join(dir, name)}${HOLDER_SUFFIX}`).catch(() => undefined);
        logger.warn(
          { request: original, restored_as: basename(back) },
          'request left unfinished by an earlier run; it will be handled again',
        );
        restored.push(basename(back));
      }
      return restored;
    },

    async serve({ intervalMs, signal, gracePeriodMs }) {
      await mkdir(dir, { recursive: true });
      await folder.recover();
      logger.info({ requests: dir }, 'watching for requests');
      await runPollLoop({
        tick: async () => void (await folder.scan(signal, gracePeriodMs)),
        ...(intervalMs !== undefined && { intervalMs }),
        ...(signal !== undefined && { signal }),
        logger,
        watchDir: dir,
      });
    },
  };
  return folder;
}

/**
 * `<stem><ext>`, then `<stem>-2<ext>`, `<stem>-3<ext>`…, in `dir`; the stem shortened when the name (and
 * `reserve` bytes more, for a companion's suffix) would pass the 255-byte limit of a file name.
 */
function numberedIn(dir: string) {
  return (stem: string, ext: string, reserve = 0) =>
    (n: number) => {
      const tail = `${n === 1 ? '' : `-${n}`}${ext}`;
      return join(dir, fitName(stem, tail, reserve));
    };
}

/** The hidden name a request has while it is handled, `.<name>.working`, shortened (not its extension) to fit. */
function workingName(name: string): string {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const tail = `${ext}${WORKING}`;
  // Room for the leading dot and for the holder record's suffix (`<working name>.holder`).
  return `.${fitName(stem, tail, 1 + Buffer.byteLength(HOLDER_SUFFIX))}`;
}

/**
 * A note or reason as the request's files hold it. Capped: a reason quoting a 10 MB line must not become a
 * 10 MB reason file or log line. Redacted: it quotes the link, and the login in `https://user:password@…`
 * is no part of why it failed. Capped first: the redaction's patterns take time that grows with the square
 * of a line with no space in it (a 1 MB line held the request folder for ever).
 */
function forFile(text: string): string {
  return redactText(capText(text));
}

/** How a request file is written: UTF-8 (with or without a byte-order mark), or UTF-16 with its mark. */
type TextEncoding = 'utf8' | 'utf16le' | 'utf16be';

/**
 * A request file's text, by its byte-order mark: Windows PowerShell 5 (`echo … > song.txt`) and Notepad's
 * "Unicode" write UTF-16 with a mark; read as UTF-8, every character came with a NUL and no link was found.
 */
function decodeText(bytes: Buffer): { text: string; encoding: TextEncoding } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: bytes.subarray(2).toString('utf16le'), encoding: 'utf16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const body = Buffer.from(bytes.subarray(2, 2 + ((bytes.length - 2) & ~1)));
    return { text: body.swap16().toString('utf16le'), encoding: 'utf16be' };
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return { text: bytes.subarray(bom).toString('utf8'), encoding: 'utf8' };
}

function encodeText(text: string, encoding: TextEncoding): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  const bytes = Buffer.from(text, 'utf16le');
  return encoding === 'utf16be' ? bytes.swap16() : bytes;
}
