import { readFileSync, watch } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { ImkError } from '@imk/errors';
import { createRequestFolder, withRetry } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-requests-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createRequestFolder', () => {
  it('handles a file once it is stable, then renames it .done with the notes appended', async () => {
    const seen: string[][] = [];
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      handle: (request) => {
        seen.push(request.lines);
        return Promise.resolve({ notes: ['job yt_x_audio -> youtube_audio'] });
      },
    });
    await writeFile(join(dir, 'song.txt'), '# my request\nhttps://example.com/v\n\n');
    await writeFile(join(dir, 'ignored.md'), 'x');
    expect(await folder.scan()).toEqual([]); // first look: not yet known to be stable
    const handled = await folder.scan();
    expect(handled).toHaveLength(1);
    expect(seen).toEqual([['https://example.com/v']]);
    expect((await readdir(dir)).sort()).toEqual(['ignored.md', 'song.done']);
    expect(await readFile(join(dir, 'song.done'), 'utf8')).toMatch(
      /https:\/\/example.com\/v[\s\S]*# job yt_x_audio/,
    );
  });

  it('handles a request whose name is not UTF-8 (Latin-1 from an old share), renamed to its Windows-1252 reading; nothing replaced', async () => {
    const seen: string[] = [];
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      handle: (request) => {
        seen.push(request.name);
        return Promise.resolve({ notes: [] });
      },
    });
    // "Café.txt" with é as the one byte 0xE9, and a file already named "Café.txt" (UTF-8) beside it.
    const latin1 = Buffer.concat([Buffer.from(`${dir}/Caf`), Buffer.from([0xe9]), Buffer.from('.txt')]);
    await writeFile(latin1, 'https://example.com/one\n');
    await writeFile(join(dir, 'Café.txt'), 'https://example.com/two\n');
    await folder.scan();
    await folder.scan();
    expect(seen.sort()).toEqual(['Café (2).txt', 'Café.txt']);
    expect((await readdir(dir)).sort()).toEqual(['Café (2).done', 'Café.done']);
    expect(await readFile(join(dir, 'Café (2).done'), 'utf8')).toMatch(/^https:\/\/example.com\/one\n/);
  });

  it('a .done file holds its notes (the job ids) from the moment it appears', async () => {
    // Before, the request was renamed .done and the job ids appended after: a script (or a test) that
    // waited for the .done read a file without them.
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      handle: () => Promise.resolve({ notes: ['job yt_x_audio -> youtube_audio'] }),
    });
    // What the .done file held at the first event that found it there: the watcher says when it has read it.
    let read!: (text: string) => void;
    const firstRead = new Promise<string>((resolve) => (read = resolve));
    let seen = 0;
    const watcher = watch(dir, (_event, name) => {
      if (name === 'song.done' && seen === 0) {
        try {
          const text = readFileSync(join(dir, 'song.done'), 'utf8');
          seen++;
          read(text);
        } catch {
          // not there (yet): the next event reads it
        }
      }
    });
    try {
      await writeFile(join(dir, 'song.txt'), 'https://example.com/v\n');
      await folder.scan();
      expect(await readdir(dir)).toEqual(['song.done']);
      // Waits for the watcher's read (however late its event comes on a loaded machine), not for a time.
      expect(await firstRead).toMatch(/# job yt_x_audio -> youtube_audio/);
    } finally {
      watcher.close();
    }
  });

  it('renames a failed request .fail and writes the reason beside it; a second failure gets a new name', async () => {
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      handle: () => Promise.reject(new ImkError('YT_PRIVATE', 'the video is private')),
    });
    await writeFile(join(dir, 'song.txt'), 'https://example.com/v');
    await folder.scan();
    await writeFile(join(dir, 'song.txt'), 'https://example.com/v');
    await folder.scan();
    expect((await readdir(dir)).sort()).toEqual([
      'song-2.fail',
      'song-2.fail.reason',
      'song.fail',
      'song.fail.reason',
    ]);
    expect(await readFile(join(dir, 'song.fail.reason'), 'utf8')).toMatch(
      /the video is private \[YT_PRIVATE\]/,
    );
  });

  it('puts back a request that a crashed run left half-done', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '.song.txt.working'), 'https://example.com/v');
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      handle: () => Promise.resolve({ notes: [] }),
    });
    expect(await folder.recover()).toEqual(['song.txt']);
    expect(await readdir(dir)).toEqual(['song.txt']);
  });

  // Any error listing the folder was taken for an empty folder: a requests folder that could not be read
  // (no permission, a link loop) lost the requests a crashed run left in it, without a word. Only a missing
  // folder is empty now; any other error names the folder. (The tests run as root, whom permissions do not
  // stop: a link loop is the real error used here.)
  it('says, naming the folder, when it cannot list it to recover; only a missing folder has nothing to recover', async () => {
    const make = (folder: string) =>
      createRequestFolder({
        dir: folder,
        extensions: ['.txt'],
        logger,
        handle: () => Promise.resolve({ notes: [] }),
      });
    expect(await make(join(dir, 'absent')).recover()).toEqual([]);
    const loop = join(dir, 'loop');
    await symlink(loop, loop);
    const error = await make(loop)
      .recover()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImkError);
    expect(error).toMatchObject({ code: 'REQUEST_FOLDER_UNREADABLE', details: { folder: loop } });
    expect((error as Error).message).toBe(
      `cannot list the requests folder ${loop} to put back the requests an earlier run left unfinished: ELOOP: too many symbolic links encountered; make it a folder the retriever's user can read and write`,
    );
  });

  it('keeps a request dropped since under the same name: the recovered one takes the next free name', async () => {
    await writeFile(join(dir, '.song.txt.working'), '# A, left by a crashed run\nhttps://example.com/a');
    await writeFile(join(dir, 'song.txt'), '# B, dropped since\nhttps://example.com/b');
    await writeFile(join(dir, 'song-2.txt'), '# C, another of the user');
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      handle: () => Promise.resolve({ notes: [] }),
    });
    expect(await folder.recover()).toEqual(['song-3.txt']);
    expect((await readdir(dir)).sort()).toEqual(['song-2.txt', 'song-3.txt', 'song.txt']);
    expect(await readFile(join(dir, 'song.txt'), 'utf8')).toMatch(/# B/);
    expect(await readFile(join(dir, 'song-2.txt'), 'utf8')).toMatch(/# C/);
    expect(await readFile(join(dir, 'song-3.txt'), 'utf8')).toMatch(/# A/);
  });

  it('leaves a request waiting while another run handles one of the same name (its .working file is kept)', async () => {
    await writeFile(join(dir, '.song.txt.working'), 'handled by another run');
    await writeFile(join(dir, 'song.txt'), 'https://example.com/new');
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      handle: () => Promise.resolve({ notes: [] }),
    });
    expect(await folder.scan()).toEqual([]);
    expect(await readFile(join(dir, '.song.txt.working'), 'utf8')).toBe('handled by another run');
    expect(await readFile(join(dir, 'song.txt'), 'utf8')).toBe('https://example.com/new');
  });

  it('never replaces a file of the user named like a result: a failure and its reason move on together', async () => {
    await writeFile(join(dir, 'song.fail.reason'), 'MY NOTES');
    await writeFile(join(dir, 'song.done'), 'an earlier request');
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      handle: (request) =>
        request.lines[0] === 'fail'
          ? Promise.reject(new ImkError('YT_PRIVATE', 'the video is private'))
          : Promise.resolve({ notes: [] }),
    });
    await writeFile(join(dir, 'song.txt'), 'fail');
    expect(await folder.scan()).toMatchObject([{ outcome: 'fail', path: join(dir, 'song-2.fail') }]);
    await writeFile(join(dir, 'song.txt'), 'ok');
    expect(await folder.scan()).toMatchObject([{ outcome: 'done', path: join(dir, 'song-2.done') }]);
    expect(await readFile(join(dir, 'song.fail.reason'), 'utf8')).toBe('MY NOTES');
    expect(await readFile(join(dir, 'song.done'), 'utf8')).toBe('an earlier request');
    expect(await readFile(join(dir, 'song-2.fail.reason'), 'utf8')).toMatch(/the video is private/);
    expect((await readdir(dir)).sort()).toEqual([
      'song-2.done',
      'song-2.fail',
      'song-2.fail.reason',
      'song.done',
      'song.fail.reason',
    ]);
  });
});

describe('RequestFolder.serve', () => {
  /** Serves `served` until stop() and records the names of the requests it handled. */
  function serveFolder(served: string) {
    const handled: string[] = [];
    const folder = createRequestFolder({
      dir: served,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      handle: (request) => {
        handled.push(request.name);
        return Promise.resolve({ notes: [] });
      },
    });
    const controller = new AbortController();
    const serving = folder.serve({ intervalMs: 20, signal: controller.signal });
    return {
      handled,
      stop: async () => {
        controller.abort();
        await serving;
      },
    };
  }

  it('creates a missing folder, handles requests dropped later, and stops when asked', async () => {
    const served = join(dir, 'requests', 'radio');
    const serving = serveFolder(served);
    await expect.poll(() => readdir(served).then(String, () => 'missing')).toBe('');
    await writeFile(join(served, 'one.txt'), 'https://example.com/one');
    await expect.poll(() => readdir(served)).toEqual(['one.done']);
    await serving.stop();
    expect(serving.handled).toEqual(['one.txt']);
  });

  it('recovers what a crashed run left before serving', async () => {
    await writeFile(join(dir, '.left.txt.working'), 'https://example.com/left');
    const serving = serveFolder(dir);
    await expect.poll(() => readdir(dir)).toEqual(['left.done']);
    await serving.stop();
    expect(serving.handled).toEqual(['left.txt']);
  });
});

describe('withRetry', () => {
  it('retries retryable errors with backoff and stops on the others', async () => {
    let calls = 0;
    const value = await withRetry(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(new Error('connection reset')) : Promise.resolve('ok');
      },
      { attempts: 3, backoffMs: 1 },
    );
    expect(value).toBe('ok');
    calls = 0;
    await expect(
      withRetry(
        () => {
          calls++;
          return Promise.reject(new Error('private'));
        },
        { attempts: 5, backoffMs: 1, isRetryable: () => false },
      ),
    ).rejects.toThrow('private');
    expect(calls).toBe(1);
  });
});
