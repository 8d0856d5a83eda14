import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { readBundle, sidecarCandidates } from '@imk/protocol';
import { legacySample } from '@imk/media/legacy-samples';
import { SONG_FILE_EXTENSIONS } from '@imk/media';
import { PassThrough, Writable } from 'node:stream';
import { resolvePaths } from '@imk/config';
import { within } from '@imk/fs-safe/testing';
import { createInbox, inboxFoldersCheck, startInbox } from '../src/index.ts';
import { ffmpeg, inboxFixtures, jobIn, media, setup } from './inbox-kit.ts';

inboxFixtures();

describe('inbox', () => {
  it('a folder dropped into the inbox (an album) is said once at warn, naming it and what to do, listed by imk doctor, and left as it is', async () => {
    const { root, settings } = await setup();
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const inbox = createInbox(settings, createLogger('test', { destination: out, level: 'debug' }));
    const album = join(settings.dir, 'Some Artist - Some Album');
    await mkdir(album);
    await writeFile(join(album, '01 - Tagged.mp3'), await readFile(join(media, 'tagged.mp3')));
    await writeFile(join(settings.dir, 'plain.wav'), await readFile(join(media, 'plain.wav')));
    for (let look = 0; look < 4; look++) {
      await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs + 10));
      await inbox.scan();
    }
    const told = lines.filter((line) => line.folder === 'Some Artist - Some Album');
    expect(told).toHaveLength(1);
    expect(told[0]!.level).toBe(40);
    expect(told[0]!.msg).toMatch(
      /folder "Some Artist - Some Album" in the inbox is not read.*move the songs/,
    );
    // The folder is left as it is; the file beside it is queued as ever.
    expect(await readdir(album)).toEqual(['01 - Tagged.mp3']);
    expect(await readdir(join(settings.dir, '.processed'))).toEqual(['plain.wav']);
    const report = await inboxFoldersCheck.run({ paths: resolvePaths(root), env: {}, now: new Date() });
    expect(report.status).toBe('warn');
    expect(report.summary).toContain('"Some Artist - Some Album"');
    expect(report.fix).toMatch(/move the songs out of the folder into the inbox itself/);
    // Taken away and dropped again: said again, once.
    await rm(album, { recursive: true });
    await inbox.scan();
    await mkdir(album);
    await inbox.scan();
    await inbox.scan();
    expect(lines.filter((line) => line.folder === 'Some Artist - Some Album')).toHaveLength(2);
    await rm(album, { recursive: true });
    // Said as what it checks, not "no folder in <inbox>" (which read as if the inbox were missing).
    const clear = await inboxFoldersCheck.run({ paths: resolvePaths(root), env: {}, now: new Date() });
    expect(clear.status).toBe('ok');
    expect(clear.summary).toBe(
      `${settings.dir} holds no subfolder it would not read (it reads the media files dropped into it)`,
    );
    await rm(settings.dir, { recursive: true });
    expect(
      (await inboxFoldersCheck.run({ paths: resolvePaths(root), env: {}, now: new Date() })).summary,
    ).toBe(`${settings.dir} is made when the inbox starts; drop media files there`);
  });

  it('queues a tagged file once it is stable, with its tags and cover, and moves the original to .processed', async () => {
    const { root, settings, inbox } = await setup();
    await writeFile(join(settings.dir, 'whatever name.mp3'), await readFile(join(media, 'tagged.mp3')));
    expect(await inbox.scan()).toEqual([]); // seen once: not yet known to be complete
    const [outcome] = await inbox.scan();
    expect(outcome).toMatchObject({ outcome: 'queued' });
    const dir = join(root, 'queues', 'other', `job_${outcome!.jobId}`);
    expect(await readBundle(dir)).toMatchObject({ ok: true });
    expect(await jobIn(dir)).toMatchObject({
      source_type: 'local',
      artist: 'Tagged Artist',
      title: 'Tagged Title',
      album: 'Tagged Album',
      audio_path: 'audio.mp3',
      cover_path: 'cover.jpg',
    });
    expect(outcome!.jobId).toMatch(/^local_whatever_name_[0-9a-f]{12}$/);
    expect(await readdir(settings.dir)).toEqual(['.processed']);
    expect(await readdir(join(settings.dir, '.processed'))).toEqual(['whatever name.mp3']);
  });

  it('names the job after the file in readable Latin letters, whatever its script', async () => {
    const { settings, inbox } = await setup();
    const names = ['Björk – Jóga.mp3', 'Кино - Кукушка.mp3', '東京事変.mp3'];
    for (const name of names)
      await writeFile(join(settings.dir, name), await readFile(join(media, 'tagged.mp3')));
    await inbox.scan();
    const ids = (await inbox.scan()).map((o) => o.jobId).sort();
    expect(ids).toHaveLength(3);
    expect(ids[0]).toMatch(/^local_Bjork_-_Joga_[0-9a-f]{12}$/);
    expect(ids[1]).toMatch(/^local_Kino_-_Kukushka_[0-9a-f]{12}$/);
    expect(ids[2]).toMatch(/^local_file_[0-9a-f]{12}$/);
  });

  it("carries a song's per-song options (the earlier version's My Song.stems.yml) into its bundle; options alone are set aside with the reason", async () => {
    const { root, settings, inbox } = await setup();
    const options = await readFile(legacySample('My Song.stems.yml'), 'utf8');
    await writeFile(join(settings.dir, 'My Song.wav'), await readFile(join(media, 'plain.wav')));
    await writeFile(join(settings.dir, 'My Song.stems.yml'), options);
    await writeFile(join(settings.dir, 'Other Song.yaml'), 'stems: VD\n');
    await inbox.scan();
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => `${o.name}:${o.outcome}`).sort()).toEqual([
      'My Song.wav:queued',
      'Other Song.yaml:rejected',
    ]);
    const dir = join(root, 'queues', 'other', `job_${outcomes.find((o) => o.outcome === 'queued')!.jobId}`);
    expect(await readBundle(dir)).toMatchObject({ ok: true });
    const job = await jobIn(dir);
    // Under the first name the worker looks for beside the bundle's input: the song's options are read.
    const sidecar = sidecarCandidates(job.audio_path!)[0]!;
    expect(await readFile(join(dir, sidecar), 'utf8')).toBe(options);
    expect((await readdir(join(settings.dir, '.processed'))).sort()).toEqual([
      'My Song.stems.yml',
      'My Song.wav',
    ]);
    expect(await readFile(join(settings.dir, '.rejected', 'Other Song.yaml.reason.txt'), 'utf8')).toMatch(
      /Other Song\.yaml: per-song options with no song beside them/,
    );
    expect(await readdir(settings.dir)).toEqual(['.processed', '.rejected']);
  });

  it('pairs a song and its options whose names differ only in Unicode normalisation (NFD from a Mac, NFC typed)', async () => {
    const { root, settings, inbox } = await setup();
    const options = await readFile(legacySample('My Song.stems.yml'), 'utf8');
    const song = 'Björk - Jóga.wav'.normalize('NFD');
    const sidecar = 'Björk - Jóga.stems.yml'.normalize('NFC');
    await writeFile(join(settings.dir, song), await readFile(join(media, 'plain.wav')));
    await writeFile(join(settings.dir, sidecar), options);
    await inbox.scan();
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => `${o.name}:${o.outcome}`)).toEqual([`${song}:queued`]);
    const dir = join(root, 'queues', 'other', `job_${outcomes[0]!.jobId!}`);
    const job = await jobIn(dir);
    expect(await readFile(join(dir, sidecarCandidates(job.audio_path!)[0]!), 'utf8')).toBe(options);
    expect((await readdir(join(settings.dir, '.processed'))).sort()).toEqual([song, sidecar].sort());
    expect(await readdir(settings.dir)).toEqual(['.processed']);
  });

  it('takes "Artist - Title" from the file name when the file has no tags', async () => {
    const { root, settings, inbox } = await setup();
    await writeFile(
      join(settings.dir, '03 - Daft Punk - Around the World.wav'),
      await readFile(join(media, 'plain.wav')),
    );
    await inbox.scan();
    const [outcome] = await inbox.scan();
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`));
    expect(job).toMatchObject({ artist: 'Daft Punk', title: 'Around the World', audio_path: 'audio.wav' });
    expect(job.cover_path).toBeUndefined();
  });

  it('spells the artist and title from a Mac file name (NFD) as typed (NFC), so the same artist is one artist', async () => {
    const { root, settings, inbox } = await setup();
    const name = 'Björk - Jóga.wav'.normalize('NFD');
    await writeFile(join(settings.dir, name), await readFile(join(media, 'plain.wav')));
    await inbox.scan();
    const [outcome] = await inbox.scan();
    expect(outcome).toMatchObject({ name, outcome: 'queued' });
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`));
    expect(job.artist).toBe('Björk'.normalize('NFC'));
    expect(job.title).toBe('Jóga'.normalize('NFC'));
    expect(await readdir(join(settings.dir, '.processed'))).toEqual([name]);
  });

  it('takes a file whose name is not UTF-8 (Latin-1 from an old Windows share) under its Windows-1252 reading, saying so', async () => {
    const { root, settings } = await setup();
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const inbox = createInbox(settings, createLogger('test', { level: 'warn', destination }));
    // "Café - Song.wav" with é as the one byte 0xE9: listed as "Caf\uFFFD - Song.wav", a name that opens nothing.
    const name = Buffer.concat([
      Buffer.from(`${settings.dir}/Caf`),
      Buffer.from([0xe9]),
      Buffer.from(' - Song.wav'),
    ]);
    await writeFile(name, await readFile(join(media, 'plain.wav')));
    let outcomes: Awaited<ReturnType<typeof inbox.scan>> = [];
    for (let look = 0; look < 5 && outcomes.length === 0; look++) {
      await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs + 10));
      outcomes = await inbox.scan();
    }
    expect(outcomes).toMatchObject([{ name: 'Café - Song.wav', outcome: 'queued' }]);
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcomes[0]!.jobId}`));
    expect(job).toMatchObject({ artist: 'Café', title: 'Song' });
    expect(await readdir(join(settings.dir, '.processed'))).toEqual(['Café - Song.wav']);
    expect(lines.join('')).toContain('the name of \\"Café - Song.wav\\" was not UTF-8');
  });

  it('names a DJ\'s Native Instruments stem file after the song, not after "<title>.stem"', async () => {
    const { root, settings, inbox } = await setup();
    // A .stem.mp4 without tags: the mixture and one stem as its first two audio streams.
    await ffmpeg(
      ...[
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=2',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=330:duration=2',
      ],
      ...['-map', '0', '-map', '1', '-c:a', 'aac'],
      join(settings.dir, 'Daft Punk - Around the World.stem.mp4'),
    );
    await inbox.scan();
    const [outcome] = await inbox.scan();
    expect(outcome).toMatchObject({ outcome: 'queued' });
    const job = await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`));
    expect(job).toMatchObject({ artist: 'Daft Punk', title: 'Around the World' });
  });

  it('waits while a file is still growing', async () => {
    const { settings, inbox } = await setup();
    const wav = await readFile(join(media, 'plain.wav'));
    const file = join(settings.dir, 'Slow Copy - Song.wav');
    await writeFile(file, wav.subarray(0, 1000));
    expect(await inbox.scan()).toEqual([]);
    await appendFile(file, wav.subarray(1000));
    expect(await inbox.scan()).toEqual([]); // changed since the last look
    expect(await inbox.scan()).toMatchObject([{ outcome: 'queued' }]);
  });

  it("takes every kind of file the dashboard's upload takes (an ADTS .aac was set aside as not media)", async () => {
    const { root, settings, inbox } = await setup();
    await ffmpeg(
      '-i',
      join(media, 'plain.wav'),
      '-c:a',
      'aac',
      '-f',
      'adts',
      join(settings.dir, 'Band - Raw.aac'),
    );
    await inbox.scan();
    const [outcome] = await inbox.scan();
    expect(outcome).toMatchObject({ outcome: 'queued' });
    expect(await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`))).toMatchObject({
      artist: 'Band',
      title: 'Raw',
      audio_path: 'audio.aac',
    });
    // The one list the upload takes too (@imk/media's SONG_FILE_EXTENSIONS).
    expect(settings.extensions).toEqual([...SONG_FILE_EXTENSIONS]);
  });

  it('puts a video file in the bundle as video', async () => {
    const { root, settings, inbox } = await setup();
    await writeFile(join(settings.dir, 'Band - Live.mkv'), await readFile(join(media, 'clip.mkv')));
    await inbox.scan();
    const [outcome] = await inbox.scan();
    expect(await jobIn(join(root, 'queues', 'other', `job_${outcome!.jobId}`))).toMatchObject({
      video_path: 'video.mkv',
    });
  });

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

  it('runs as a service until aborted; the same file dropped twice is one job', async () => {
    const { root, settings } = await setup();
    // What the service says it did with each file it took (queued, a duplicate, or set aside and why): the
    // test waits for that, however long a loaded machine takes to probe, hash and copy, not for a time
    // budget. ("could not queue; will try again" is not an outcome: the file is taken again next pass.)
    const out = new PassThrough();
    const said: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const { file, msg, reason } = JSON.parse(line) as Record<string, unknown>;
        if (typeof msg === 'string' && OUTCOMES.some((outcome) => msg.startsWith(outcome)))
          said.push({ file, msg, ...(reason !== undefined && { reason }) });
      }
    });
    const controller = new AbortController();
    const running = startInbox({
      root,
      logger: createLogger('test', { destination: out, level: 'info' }),
      signal: controller.signal,
      overrides: { pollIntervalMs: 50, stableChecks: 2 },
    });
    try {
      const bytes = await readFile(join(media, 'tagged.mp3'));
      await writeFile(join(settings.dir, 'a.mp3'), bytes);
      expect(await outcome(said, 1, running)).toEqual({ file: 'a.mp3', msg: 'queued' });
      expect(await readdir(join(settings.dir, '.processed'))).toEqual(['a.mp3']);
      await writeFile(join(settings.dir, 'a.mp3'), bytes);
      expect(await outcome(said, 2, running)).toEqual({
        file: 'a.mp3',
        msg: 'same file already queued; original moved to .processed',
      });
    } finally {
      controller.abort();
      await within(running, 60_000, 'the inbox to stop once its signal was aborted');
    }
    expect((await readdir(join(settings.dir, '.processed'))).sort()).toEqual(['a (2).mp3', 'a.mp3']);
    expect(await readdir(join(root, 'queues', 'other'))).toHaveLength(1);
  });
});

/** The inbox's log lines that say what became of a file. */
const OUTCOMES = ['queued', 'same file already queued', 'rejected'];

/**
 * The `n`th outcome the service said (see OUTCOMES), once it has said it: no time budget of its own (the
 * test's timeout is the bound), as a loaded machine may take long; whatever it said, the test then shows.
 * Should the service stop first, says so at once.
 */
async function outcome(
  said: Record<string, unknown>[],
  n: number,
  running: Promise<void>,
): Promise<Record<string, unknown>> {
  let stopped = false;
  running.then(
    () => (stopped = true),
    () => (stopped = true),
  );
  const heard = async () => {
    while (said.length < n) {
      if (stopped) throw new Error(`the inbox stopped before outcome ${n}; it said: ${JSON.stringify(said)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await within(heard(), 60_000, `the inbox's outcome ${n}`, () => `it said: ${JSON.stringify(said)}`);
  return said[n - 1]!;
}
