// A service's stop (Ctrl-C, SIGTERM) while a request is handled. Before, the stop aborted the request's
// fetch at once and the failure it made (ABORTED) marked the request `.fail` for good, though nothing was
// wrong with it. Now the request under way gets the grace period to finish, and one stopped (or failed) once
// the stop came is put back under its name, to be handled again at the next start.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { createRequestFolder, type RequestFile } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-request-stop-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A request folder in `dir` handling each request with `handle`. */
function folderWith(handle: (request: RequestFile) => Promise<{ notes: string[] }>) {
  return createRequestFolder({ dir, extensions: ['.txt'], logger, stableChecks: 1, handle });
}

/** Resolves when `signal` aborts, rejecting as a fetch stopped by it does. */
const stoppedBy = (signal: AbortSignal | undefined) =>
  new Promise<never>((_, reject) =>
    signal?.addEventListener('abort', () => reject(new ImkError('ABORTED', 'the fetch was aborted')), {
      once: true,
    }),
  );

describe('a request under way when the service stops', () => {
  it('finishes within the grace period and is done', async () => {
    await writeFile(join(dir, 'song.txt'), 'https://example.com/song');
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const folder = folderWith(async (request) => {
      started();
      await Promise.race([finished, stoppedBy(request.signal)]);
      return { notes: ['job one -> other'] };
    });
    const stop = new AbortController();
    const scan = folder.scan(stop.signal, 10_000);
    await handling;
    stop.abort();
    setTimeout(finish, 100);
    expect((await scan).map((handled) => handled.outcome)).toEqual(['done']);
    expect(await readdir(dir)).toEqual(['song.done']);
  });

  it('stopped when the grace period is over: put back under its name, not failed', async () => {
    await writeFile(join(dir, 'song.txt'), 'https://example.com/song');
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    const folder = folderWith(async (request) => {
      started();
      return stoppedBy(request.signal);
    });
    const stop = new AbortController();
    const scan = folder.scan(stop.signal, 50);
    await handling;
    stop.abort();
    expect(await scan).toEqual([]);
    expect(await readdir(dir)).toEqual(['song.txt']);
  });

  it('failed once the stop came (a tool the Ctrl-C may have ended): put back, not failed', async () => {
    await writeFile(join(dir, 'song.txt'), 'https://example.com/song');
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    let fail!: () => void;
    const failing = new Promise<void>((resolve) => (fail = resolve));
    const folder = folderWith(async () => {
      started();
      await failing;
      throw new ImkError('YT_DLP_FAILED', 'yt-dlp exited with code 1: ERROR: Interrupted by user');
    });
    const stop = new AbortController();
    const scan = folder.scan(stop.signal, 10_000);
    await handling;
    stop.abort();
    fail();
    expect(await scan).toEqual([]);
    expect(await readdir(dir)).toEqual(['song.txt']);
  });

  it('a request that fails with no stop is failed as before', async () => {
    await writeFile(join(dir, 'song.txt'), 'https://example.com/song');
    const folder = folderWith(() => Promise.reject(new ImkError('YT_PRIVATE', 'the video is private')));
    expect((await folder.scan(new AbortController().signal, 10_000)).map((h) => h.outcome)).toEqual(['fail']);
    expect((await readdir(dir)).sort()).toEqual(['song.fail', 'song.fail.reason']);
  });
});
