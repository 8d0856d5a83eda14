// `imk cleanup` removes only what the docs list. Two ways it used to remove what was not its own:
// - job ids may contain ".tmp" or end in ".partial" (letters, digits, ".", "_", "-"), and a name rule that
//   ignored the folder took such a ready job or published output for a temporary leftover;
// - `stemCache.dir` may point at a folder that also holds the user's own files, and every child of it
//   older than the cache limit (or named like *.tmp) was removed.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sineFile } from '@imk/media/testing';
import { imkInProcess } from './in-process.ts';
import { IMK } from './imk-bin.ts';

const imk = (...args: string[]) => execa(process.execPath, [IMK, ...args], { reject: false });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let root = '';
let music = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-cleanup-own-'));
  music = await mkdtemp(join(tmpdir(), 'imk-cleanup-music-'));
  await mkdir(join(root, 'config'), { recursive: true });
  // Ages well under a second, so that everything made below is past its limit when cleanup runs.
  await writeFile(
    join(root, 'config', 'operations.yaml'),
    'retention:\n  archives: { maxAgeDays: 0.00001 }\n  caches: { maxAgeDays: 0.00001 }\n  temp: { maxAgeHours: 0.0002 }\n',
  );
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(music, { recursive: true, force: true });
});

async function put(path: string, text = 'x'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

interface Report {
  plan: { remove: { path: string }[] };
  removed: { path: string }[];
}

/**
 * Dry run (an `imk` process: nothing on stderr), then the real run (the same command line through main() in
 * this process, a process fewer): both must name the same entries. Returns them, sorted.
 */
async function cleanupTwice(): Promise<string[]> {
  const dry = await imk('cleanup', '--dry-run', '--json', '--root', root);
  expect(dry.stderr).toBe('');
  expect(dry.exitCode).toBe(0);
  const planned = (JSON.parse(dry.stdout) as Report).plan.remove.map((e) => e.path).sort();
  const real = await imkInProcess('cleanup', '--json', '--root', root);
  expect(real.exitCode).toBe(0);
  const removed = (JSON.parse(real.stdout) as Report).removed.map((e) => e.path).sort();
  expect(removed).toEqual(planned);
  return removed;
}

describe('imk cleanup removes only what it owns', () => {
  it('keeps ready jobs and published outputs whose ids look like temporary names', async () => {
    await sineFile(join(root, 'song.wav'), { channels: 1 });
    // (through main() in this process: enqueue's own process is tested in enqueue-queue-commands.test.ts)
    for (const id of ['song.partial', 'take.tmp-2', 'demo.tmp-']) {
      const published = await imkInProcess('enqueue', join(root, 'song.wav'), '--job-id', id, '--root', root);
      expect(published.exitCode).toBe(0);
    }
    for (const id of ['song.partial', 'mix.tmp-1', 'live.partial'])
      await put(join(root, 'outputs', id, 'manifest.json'), '{}');
    // Real leftovers beside them still go.
    await put(join(root, 'outputs', '.gone.partial-host-1-ab', 'files', 'a.m4a'));
    await put(join(root, 'outputs', '.manifest.json.123.ab12cd34.tmp'));
    await put(join(root, 'queues', 'other', 'job_gone.tmp', 'audio.wav'));
    await sleep(1500);

    const removed = await cleanupTwice();

    expect(removed).toEqual(
      [
        'outputs/.gone.partial-host-1-ab',
        'outputs/.manifest.json.123.ab12cd34.tmp',
        'queues/other/job_gone.tmp',
      ]
        .map((p) => join(root, p))
        .sort(),
    );
    expect((await readdir(join(root, 'queues', 'other'))).sort()).toEqual(
      ['job_demo.tmp-', 'job_song.partial', 'job_take.tmp-2'].sort(),
    );
    expect((await readdir(join(root, 'outputs'))).sort()).toEqual([
      'live.partial',
      'mix.tmp-1',
      'song.partial',
    ]);
  });

  it("in a folder stemCache.dir points at, removes the cache's entries and scratch and none of the user's files", async () => {
    await writeFile(join(root, 'config', 'instrumental-maker.yaml'), `stemCache:\n  dir: ${music}\n`);
    const userFiles = ['holiday.flac', 'draft.tmp', '.backup.tmp', 'notes.partial', 'mix.tmp-1', 'album'];
    for (const name of userFiles.slice(0, -1)) await put(join(music, name), 'mine');
    await put(join(music, 'album', 'track 01.flac'), 'mine');
    const key = 'c'.repeat(64);
    await put(join(music, key, 'vocals.wav'), 'RIFF');
    await put(join(music, key, 'meta.json'), '{}');
    const work = `.tmp-${'d'.repeat(16)}-0a1b2c3d`;
    await put(join(music, work, 'vocals.wav'), 'RIFF');
    await sleep(1500);

    const removed = await cleanupTwice();

    expect(removed).toEqual([join(music, key), join(music, work)].sort());
    expect((await readdir(music)).sort()).toEqual([...userFiles].sort());
    expect(await readdir(join(music, 'album'))).toEqual(['track 01.flac']);
  });

  it('never prunes a stem cache pointed at one of its own folders (outputs/, state/)', async () => {
    const key = 'e'.repeat(64);
    for (const dir of ['outputs', 'state']) {
      await writeFile(join(root, 'config', 'instrumental-maker.yaml'), `stemCache:\n  dir: ${dir}\n`);
      await put(join(root, 'outputs', key, 'manifest.json'), '{}');
      await put(join(root, 'state', 'ledger.sqlite'), 'SQLite format 3');
      await sleep(1500);
      expect(await cleanupTwice()).toEqual([]);
      expect(await readdir(join(root, 'outputs'))).toEqual([key]);
      expect(await readdir(join(root, 'state'))).toContain('ledger.sqlite');
    }
  });
});
