import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { readBundle } from '@imk/protocol';
import { SONG_FILE_EXTENSIONS } from '@imk/media';
import { PassThrough } from 'node:stream';
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
