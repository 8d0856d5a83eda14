import {
  appendFile,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { JobSchema, readBundle, sidecarCandidates } from '@imk/protocol';
import { legacySample } from '@imk/media/legacy-samples';
import { liveChildren } from '@imk/media/testing';
import { PassThrough } from 'node:stream';
import { resolvePaths } from '@imk/config';
import { within } from '@imk/fs-safe/testing';
import { createInbox, inboxFoldersCheck, loadInboxSettings, startInbox, type Inbox } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let media: string;
const roots: string[] = [];

const ffmpeg = (...args: string[]) => execa('ffmpeg', ['-v', 'error', '-y', ...args], { stdin: 'ignore' });

beforeAll(async () => {
  media = await mkdtemp(join(tmpdir(), 'imk-inbox-media-'));
  await ffmpeg('-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', join(media, 'cover.jpg'));
  await Promise.all([
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=2',
      '-i',
      join(media, 'cover.jpg'),
      '-map',
      '0',
      '-map',
      '1',
      '-c:a',
      'libmp3lame',
      '-c:v',
      'copy',
      '-disposition:v',
      'attached_pic',
      '-id3v2_version',
      '3',
      '-metadata',
      'artist=Tagged Artist',
      '-metadata',
      'title=Tagged Title',
      '-metadata',
      'album=Tagged Album',
      join(media, 'tagged.mp3'),
    ),
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=330:duration=2',
      '-c:a',
      'pcm_s16le',
      join(media, 'plain.wav'),
    ),
    ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=5:duration=2',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=550:duration=2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      join(media, 'clip.mkv'),
    ),
  ]);
});
afterAll(async () => {
  await Promise.all([media, ...roots].map((dir) => rm(dir, { recursive: true, force: true })));
});

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'imk-inbox-'));
  roots.push(root);
  const settings = await loadInboxSettings(root, { stableChecks: 2, pollIntervalMs: 50 });
  await mkdir(settings.dir, { recursive: true });
  const inbox = createInbox(settings, logger);
  // As the service does: one look every pollIntervalMs (a file counts as copied once the looks span that).
  const scan: Inbox['scan'] = async (signal) => {
    // (+10: a timer may fire a little before its time on the monotonic clock)
    await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs + 10));
    return inbox.scan(signal);
  };
  return { root, settings, inbox: { scan } };
}

async function jobIn(dir: string) {
  return JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
}

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
    expect(
      (await inboxFoldersCheck.run({ paths: resolvePaths(root), env: {}, now: new Date() })).status,
    ).toBe('ok');
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
