import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inboxFixtures, setup } from './inbox-kit.ts';

inboxFixtures();

describe('inbox', () => {
  it('rejects what is not media, with the reason beside it, and leaves downloads in progress alone', async () => {
    const { root, settings, inbox } = await setup();
    await writeFile(join(settings.dir, 'notes.txt'), 'hello');
    await writeFile(join(settings.dir, 'fake.mp3'), 'this is text, not audio');
    await writeFile(join(settings.dir, 'song.mp3.crdownload'), 'half a download');
    await inbox.scan();
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => `${o.name}:${o.outcome}`).sort()).toEqual([
      'fake.mp3:rejected',
      'notes.txt:rejected',
    ]);
    const rejected = join(settings.dir, '.rejected');
    expect((await readdir(rejected)).sort()).toEqual([
      'fake.mp3',
      'fake.mp3.reason.txt',
      'notes.txt',
      'notes.txt.reason.txt',
    ]);
    expect(await readFile(join(rejected, 'notes.txt.reason.txt'), 'utf8')).toMatch(
      /not a media file .*\.txt.*accepted: \.mp3/,
    );
    // And what to do, naming the root's own config file.
    expect(await readFile(join(rejected, 'notes.txt.reason.txt'), 'utf8')).toContain(
      `; if it is a song ffmpeg plays, add txt to extensions in ${join(root, 'config', 'inbox.yaml')} and drop it again`,
    );
    expect(await readFile(join(rejected, 'fake.mp3.reason.txt'), 'utf8')).toMatch(
      /fake\.mp3.*corrupt or not a media format/,
    );
    expect((await readdir(settings.dir)).sort()).toEqual(['.rejected', 'song.mp3.crdownload']);
    expect(await readdir(join(root, 'queues')).catch(() => [])).toEqual([]);
  });

  it('never replaces a file already in .rejected: the file and its reason take the next free name together', async () => {
    const { settings, inbox } = await setup();
    const rejected = join(settings.dir, '.rejected');
    await mkdir(rejected);
    // The user's own files: one named like the reason a rejected notes.txt would get, one like the file.
    await writeFile(join(rejected, 'notes.txt.reason.txt'), 'MY PRECIOUS NOTES');
    await writeFile(join(rejected, 'song (2).txt'), 'mine too');
    await writeFile(join(settings.dir, 'notes.txt'), 'some text');
    await writeFile(join(settings.dir, 'song.txt'), 'more text');
    await writeFile(join(rejected, 'song.txt'), 'an earlier song.txt');
    await inbox.scan();
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => [o.name, o.outcome, basename(o.movedTo ?? '')]).sort()).toEqual([
      ['notes.txt', 'rejected', 'notes (2).txt'],
      ['song.txt', 'rejected', 'song (3).txt'],
    ]);
    expect(await readFile(join(rejected, 'notes.txt.reason.txt'), 'utf8')).toBe('MY PRECIOUS NOTES');
    expect(await readFile(join(rejected, 'song (2).txt'), 'utf8')).toBe('mine too');
    expect(await readFile(join(rejected, 'song.txt'), 'utf8')).toBe('an earlier song.txt');
    expect(await readFile(join(rejected, 'notes (2).txt'), 'utf8')).toBe('some text');
    expect(await readFile(join(rejected, 'notes (2).txt.reason.txt'), 'utf8')).toMatch(
      /^notes\.txt \(kept as notes \(2\)\.txt\): not a media file/,
    );
    expect(await readFile(join(rejected, 'song (3).txt.reason.txt'), 'utf8')).toMatch(/^song\.txt \(kept as/);
    // No stray temp or half pair left behind.
    expect((await readdir(rejected)).sort()).toEqual([
      'notes (2).txt',
      'notes (2).txt.reason.txt',
      'notes.txt.reason.txt',
      'song (2).txt',
      'song (3).txt',
      'song (3).txt.reason.txt',
      'song.txt',
    ]);
  });
});
