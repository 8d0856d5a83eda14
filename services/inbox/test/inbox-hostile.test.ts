// Files in the inbox that are not what they seem: links out of it, FIFOs, options files that are neither,
// a file ffprobe would read for minutes.
import { lstat, mkdir, mkdtemp, readFile, readdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { legacySample } from '@imk/media/legacy-samples';
import { liveChildren } from '@imk/media/testing';
import { createInbox, loadInboxSettings } from '../src/index.ts';
import { inboxFixtures, logger, media, roots, setup } from './inbox-kit.ts';

inboxFixtures();

describe('hostile inbox files', () => {
  it('refuses a link to a file outside the inbox and a FIFO, with the reason; nothing is queued', async () => {
    const { settings, inbox } = await setup();
    await symlink(join(media, 'tagged.mp3'), join(settings.dir, 'linked.mp3'));
    await execa('mkfifo', [join(settings.dir, 'pipe.wav')]);
    await inbox.scan();
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => [o.name, o.outcome]).sort()).toEqual([
      ['linked.mp3', 'rejected'],
      ['pipe.wav', 'rejected'],
    ]);
    const rejected = join(settings.dir, '.rejected');
    expect(await readFile(join(rejected, 'linked.mp3.reason.txt'), 'utf8')).toMatch(
      /linked\.mp3 is a symbolic link/,
    );
    expect(await readFile(join(rejected, 'pipe.wav.reason.txt'), 'utf8')).toMatch(/pipe\.wav is a FIFO/);
    expect((await lstat(join(rejected, 'linked.mp3'))).isSymbolicLink()).toBe(true);
    expect(await readdir(settings.queueDir).catch(() => [])).toEqual([]);
  });

  it('never queues a song without its options: options that are a FIFO or a link set both aside, each with the reason naming the options file', async () => {
    const { settings, inbox } = await setup();
    const options = await readFile(legacySample('My Song.stems.yml'), 'utf8');
    await writeFile(join(media, 'outside.stems.yml'), options);
    const kinds: [string, (path: string) => Promise<unknown>, RegExp][] = [
      ['Fifo Song', (path) => execa('mkfifo', [path]), /is a FIFO/],
      ['Linked Song', (path) => symlink(join(media, 'outside.stems.yml'), path), /is a symbolic link/],
    ];
    for (const [song, make] of kinds) {
      await writeFile(join(settings.dir, `${song}.wav`), await readFile(join(media, 'plain.wav')));
      await make(join(settings.dir, `${song}.stems.yml`));
    }
    await inbox.scan();
    const outcomes = await inbox.scan();
    // Before: each song was queued with the default options (its own silently dropped), and its options
    // were set aside a pass later as "per-song options with no song beside them".
    expect(outcomes.map((o) => [o.name, o.outcome]).sort()).toEqual([
      ['Fifo Song.wav', 'rejected'],
      ['Linked Song.wav', 'rejected'],
    ]);
    expect(await readdir(settings.queueDir).catch(() => [])).toEqual([]);
    const rejected = join(settings.dir, '.rejected');
    for (const [song, , said] of kinds) {
      const songReason = await readFile(join(rejected, `${song}.wav.reason.txt`), 'utf8');
      expect(songReason).toContain(`${song}.stems.yml`);
      expect(songReason).toMatch(said);
      const optionsReason = await readFile(join(rejected, `${song}.stems.yml.reason.txt`), 'utf8');
      expect(optionsReason).toMatch(new RegExp(`^${song}\\.stems\\.yml: .*${said.source}`));
    }
    expect((await lstat(join(rejected, 'Linked Song.stems.yml'))).isSymbolicLink()).toBe(true);
    expect((await lstat(join(rejected, 'Fifo Song.stems.yml'))).isFIFO()).toBe(true);
    expect(await readdir(settings.dir)).toEqual(['.rejected']);
    // A later pass finds nothing left to set aside.
    expect(await inbox.scan()).toEqual([]);
  });

  it('rejects a file ffprobe would read for minutes once probeTimeoutSec has passed, and goes on with the next', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-inbox-'));
    roots.push(root);
    // 3 s: far less than the minutes the sparse file takes, and room for the good file on a busy machine.
    const settings = await loadInboxSettings(root, { stableChecks: 1, probeTimeoutSec: 3 });
    await mkdir(settings.dir, { recursive: true });
    const inbox = createInbox(settings, logger);
    // 20 GB of zeros named .mp3 (sparse: no disk used), listed before the good file.
    await writeFile(join(settings.dir, 'a sparse.mp3'), '');
    await truncate(join(settings.dir, 'a sparse.mp3'), 20 * 1024 ** 3);
    await writeFile(join(settings.dir, 'b good.mp3'), await readFile(join(media, 'tagged.mp3')));
    // Left to itself ffprobe reads the sparse file for over a minute (61 s measured on an idle machine): a
    // scan that waited for it would outlast this test's 30 s. The reason file (the timeout's own words) and
    // no ffprobe left on the file show it was stopped; the test's clock around the scan is not asserted on
    // (a starved machine stretched it past 15 s).
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => [o.name, o.outcome])).toEqual([
      ['a sparse.mp3', 'rejected'],
      ['b good.mp3', 'queued'],
    ]);
    expect(await readFile(join(settings.dir, '.rejected', 'a sparse.mp3.reason.txt'), 'utf8')).toMatch(
      /^a sparse\.mp3: .*a sparse\.mp3: ffprobe was still reading it after 3 s/,
    );
    expect(await liveChildren('ffprobe')).toEqual([]);
  }, 30_000);
});
