// Two runs on one requests folder (a second `imk up`, or a second retriever started by mistake on the same
// root): the start-up recovery put back every `.working` file, the one the first run was still handling
// included, and the second run handled it again (the same song fetched and queued twice, its files fought
// over). Only what no live run holds is put back now; what a crashed run left still is.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createRequestFolder, type RequestResult } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-requests-two-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const holder = (pid: number) =>
  JSON.stringify({ pid, host: hostname(), token: 'another-run', since: new Date().toISOString() });

describe('two runs on one requests folder', () => {
  it('a second run started while the first handles a request leaves it to the first: handled once', async () => {
    let finish: (result: RequestResult) => void = () => undefined;
    const calls: string[] = [];
    const make = () =>
      createRequestFolder({
        dir,
        extensions: ['.txt'],
        logger,
        stableChecks: 1,
        handle: (request) => {
          calls.push(request.name);
          return new Promise<RequestResult>((resolve) => (finish = resolve));
        },
      });
    const first = make();
    await writeFile(join(dir, 'song.txt'), 'https://example.com/v\n');
    const handling = first.scan();
    while (calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    const second = make();
    expect(await second.recover()).toEqual([]);
    expect(await second.scan()).toEqual([]);
    expect(calls).toEqual(['song.txt']);
    expect(await readdir(dir)).toContain('.song.txt.working');

    finish({ notes: ['job one'] });
    expect(await handling).toMatchObject([{ outcome: 'done' }]);
    expect(await readdir(dir)).toEqual(['song.done']);
    expect(calls).toEqual(['song.txt']);
  });

  it('leaves a request held by another live process of this host, and puts back one whose process is gone', async () => {
    const live = spawn('sleep', ['30']);
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    try {
      await writeFile(join(dir, '.live.txt.working'), 'https://example.com/live');
      await writeFile(join(dir, '.live.txt.working.holder'), holder(live.pid!));
      await writeFile(join(dir, '.crashed.txt.working'), 'https://example.com/crashed');
      await writeFile(join(dir, '.crashed.txt.working.holder'), holder(gone.pid!));
      await writeFile(join(dir, '.older.txt.working'), 'https://example.com/older'); // no record: an earlier imk
      await writeFile(join(dir, '.orphan.txt.working.holder'), holder(gone.pid!)); // its request gone
      const folder = createRequestFolder({
        dir,
        extensions: ['.txt'],
        logger,
        handle: () => Promise.resolve({ notes: [] }),
      });
      expect((await folder.recover()).sort()).toEqual(['crashed.txt', 'older.txt']);
      expect((await readdir(dir)).sort()).toEqual([
        '.live.txt.working',
        '.live.txt.working.holder',
        'crashed.txt',
        'older.txt',
      ]);
      expect(await readFile(join(dir, 'crashed.txt'), 'utf8')).toBe('https://example.com/crashed');
    } finally {
      live.kill();
    }
  });
});
