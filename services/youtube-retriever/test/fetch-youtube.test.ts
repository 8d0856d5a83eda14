import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { probeMedia } from '@imk/media';
import { readBundle } from '@imk/protocol';
import { fetchYoutube } from '../src/index.ts';
import { linkJobId, linkKey } from './expected-ids.ts';
import { logger, readJob, youtubeTestKit } from './youtube-kit.ts';

const media = youtubeTestKit();

describe('fetchYoutube with the real yt-dlp', () => {
  it('fetches an audio file into youtube_audio, records the duration check as skipped', async () => {
    const { root, settings } = await media.setup();
    const result = await fetchYoutube(media.server.url('audio.m4a'), {
      root,
      logger,
      settings,
      mode: 'audio',
    });
    // A direct file link: yt-dlp's generic extractor names it after the file, so its link is hashed in.
    const jobId = linkJobId('generic', 'audio', media.server.url('audio.m4a'), 'audio');
    expect(result.jobs.map((job) => job.jobId)).toEqual([jobId]);
    const dir = join(root, 'queues', 'youtube_audio', `job_${jobId}`);
    expect(await readBundle(dir)).toMatchObject({ ok: true });
    const job = await readJob(dir);
    expect(job).toMatchObject({
      source_type: 'youtube',
      album: 'YTDL',
      title: 'audio',
      audio_path: 'audio.m4a',
      youtube: { video_id: 'audio', url: media.server.url('audio.m4a'), online_duration_sec: null },
      validation: { duration_checks: 'skipped' },
    });
    const probed = await probeMedia(join(dir, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(3, 0);
  });

  it('mode both makes an audio job and a video job, with the WebP poster converted to cover.jpg', async () => {
    const { root, settings } = await media.setup();
    const result = await fetchYoutube(media.server.url('single.html'), {
      root,
      logger,
      settings,
      mode: 'both',
    });
    // The media of a page: yt-dlp's html5 extractor names it after the page, hashed with the media's link.
    const jobId = (kind: string) =>
      linkJobId('html5mediaembed', 'single-1', media.server.url('video.mp4'), kind);
    expect(result.jobs.map((job) => `${job.queue}/${job.jobId}`)).toEqual([
      `youtube_audio/${jobId('audio')}`,
      `youtube_video/${jobId('video')}`,
    ]);
    const audioDir = join(root, 'queues', 'youtube_audio', `job_${jobId('audio')}`);
    const videoDir = join(root, 'queues', 'youtube_video', `job_${jobId('video')}`);
    expect((await readdir(audioDir)).sort()).toEqual(['audio.m4a', 'cover.jpg', 'job.json']);
    expect((await readdir(videoDir)).sort()).toEqual(['cover.jpg', 'job.json', 'video.mp4']);
    const cover = await readFile(join(videoDir, 'cover.jpg'));
    expect([...cover.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]); // a JPEG, not the WebP that was served
    const video = await probeMedia(join(videoDir, 'video.mp4'));
    expect(video.video).toBeDefined();
    expect(video.audio).toBeDefined();
    const audio = await probeMedia(join(audioDir, 'audio.m4a'));
    expect(audio.video).toBeUndefined();
    expect(await readJob(videoDir)).toMatchObject({
      video_path: 'video.mp4',
      cover_path: 'cover.jpg',
      title: 'Single Song (1)',
      // The video half of the pair: the worker publishes its video only, the audio job the rest.
      paired_audio_job: jobId('audio'),
    });
    expect(await readJob(audioDir)).not.toHaveProperty('paired_audio_job');
  });

  it('mode video alone makes a video job that is no half of a pair (it publishes the variants and stems too)', async () => {
    const { root, settings } = await media.setup();
    const result = await fetchYoutube(media.server.url('video.mp4'), {
      root,
      logger,
      settings,
      mode: 'video',
    });
    const [job] = result.jobs;
    expect(job?.queue).toBe('youtube_video');
    const read = await readJob(join(root, 'queues', 'youtube_video', `job_${job!.jobId}`));
    expect(read.video_path).toBe('video.mp4');
    expect(read).not.toHaveProperty('paired_audio_job');
  });

  it('says clearly that a link is not found (HTTP 404) and publishes nothing', async () => {
    const { root, settings } = await media.setup();
    const error = await fetchYoutube(media.server.url('missing.m4a'), { root, logger, settings }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as Error).message).toContain('HTTP 404');
    expect((error as Error).message).toContain(media.server.url('missing.m4a'));
    expect(await readdir(join(root, 'queues')).catch(() => [])).toEqual([]);
  });

  it('takes any other HTTP 4xx answer (410 Gone, 451) as the verdict on the link: said so, not retried as network trouble', async () => {
    const { root, settings } = await media.setup();
    for (const status of [410, 451]) {
      const link = media.server.url(`status-${status}.m4a`);
      const error = await fetchYoutube(link, { root, logger, settings }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'LINK_REFUSED' });
      expect((error as Error).message).toMatch(
        new RegExp(`^the site refused ${link} .*HTTP Error ${status}`),
      );
      expect(media.server.hits.get(`/status-${status}.m4a`)).toBe(1);
    }
    // A timeout answer (408) is passing trouble: tried again as before.
    await expect(
      fetchYoutube(media.server.url('status-408.m4a'), { root, logger, settings }),
    ).rejects.toMatchObject({ code: 'NETWORK' });
    expect(media.server.hits.get('/status-408.m4a')).toBe(3);
    expect(await readdir(join(root, 'queues')).catch(() => [])).toEqual([]);
  });

  it('refuses anything but http(s) before yt-dlp runs', async () => {
    const { root, settings } = await media.setup();
    await expect(fetchYoutube('file:///etc/passwd', { root, logger, settings })).rejects.toMatchObject({
      code: 'INVALID_URL',
    });
    await expect(fetchYoutube('--exec=rm -rf /', { root, logger, settings })).rejects.toMatchObject({
      code: 'INVALID_URL',
    });
  });

  it('survives a connection dropped mid-download: yt-dlp resumes and the file ends whole', async () => {
    const { root, settings } = await media.setup();
    const result = await fetchYoutube(media.server.url('flaky1.html'), { root, logger, settings });
    expect(result.jobs).toHaveLength(1);
    expect(media.server.hits.get('/flaky1.m4a')).toBe(2);
    expect(media.server.ranges.get('/flaky1.m4a')?.[0]).toMatch(/^bytes=[1-9]\d*-/); // resumed, not restarted
    const probed = await probeMedia(join(result.jobs[0]!.dir, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(20, 0);
  });

  it('retries the whole yt-dlp run with backoff when yt-dlp itself gives up on the network', async () => {
    const { root, settings } = await media.setup({
      retries: { attempts: 3, backoffMs: 100, maxBackoffMs: 500, ytDlpRetries: 0 },
    });
    const lines: string[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const warnLogger = createLogger('test', { level: 'warn', destination: capture });
    const result = await fetchYoutube(media.server.url('flaky2.html'), {
      root,
      logger: warnLogger,
      settings,
    });
    const retries = lines
      .map((line) => JSON.parse(line) as { msg: string; err?: string })
      .filter((entry) => /failed; retrying/.test(entry.msg));
    expect(retries).toHaveLength(1);
    expect(retries[0]!.err).toMatch(/network trouble/);
    expect(result.jobs).toHaveLength(1);
    expect(media.server.hits.get('/flaky2.m4a')).toBe(2);
    const probed = await probeMedia(join(result.jobs[0]!.dir, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(20, 0);
  });

  it('keeps a download archive: the second fetch of a URL publishes nothing new', async () => {
    const { root, settings } = await media.setup();
    const first = await fetchYoutube(media.server.url('two.m4a'), { root, logger, settings });
    expect(first.jobs).toHaveLength(1);
    // The consumer took the bundle away; the archive still remembers the video.
    const jobId = linkJobId('generic', 'two', media.server.url('two.m4a'), 'audio');
    await rm(join(root, 'queues', 'youtube_audio', `job_${jobId}`), { recursive: true });
    const hitsBefore = media.server.hits.get('/two.m4a') ?? 0;
    const second = await fetchYoutube(media.server.url('two.m4a'), { root, logger, settings });
    expect(second.jobs).toEqual([]);
    expect(second.skipped).toEqual([{ id: jobId, reason: expect.stringContaining('already fetched') }]);
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toEqual([]);
    expect(await readFile(join(settings.archiveDir, 'download-archive-audio.txt'), 'utf8')).toBe(
      `generic ${linkKey('two', media.server.url('two.m4a'))}\n`,
    );
    expect(media.server.hits.get('/two.m4a') ?? 0).toBeLessThanOrEqual(hitsBefore + 1); // metadata only, no download
  });

  it('reports a video another request is publishing this moment as skipped, not failed', async () => {
    const PRODUCER_FILE = 'imk-producer.json'; // docs/protocol.md: the producer of a .tmp bundle
    const { root, settings } = await media.setup({ downloadArchive: { enabled: false } });
    // The other request's bundle, being written by a live process (this test's parent).
    const jobId = linkJobId('generic', 'two', media.server.url('two.m4a'), 'audio');
    const tmp = join(root, 'queues', 'youtube_audio', `job_${jobId}.tmp`);
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, PRODUCER_FILE), JSON.stringify({ host: hostname(), pid: process.ppid }));
    const result = await fetchYoutube(media.server.url('two.m4a'), { root, logger, settings });
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual([
      { id: jobId, reason: expect.stringContaining('is already being published by process') },
    ]);
    expect(await readdir(tmp)).toEqual([PRODUCER_FILE]);
  });

  it('expands a page with several media into one job per entry', async () => {
    const { root, settings } = await media.setup();
    const result = await fetchYoutube(media.server.url('page.html'), { root, logger, settings });
    const ids = [
      linkJobId('html5mediaembed', 'page-1', media.server.url('audio.m4a'), 'audio'),
      linkJobId('html5mediaembed', 'page-2', media.server.url('two.m4a'), 'audio'),
    ];
    expect(result.jobs.map((job) => job.jobId)).toEqual(ids);
    const second = await readJob(join(root, 'queues', 'youtube_audio', `job_${ids[1]!}`));
    expect(second.title).toBe('My Mix (2)');
    const probed = await probeMedia(join(root, 'queues', 'youtube_audio', `job_${ids[1]!}`, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(3, 0);
  });

  it('an empty playlist is nothing to do, not a failure: no job, no failure, a warning naming it', async () => {
    const { root, settings } = await media.setup();
    media.server.setPage(
      '/empty.xspf',
      '<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList></trackList></playlist>',
    );
    const result = await fetchYoutube(media.server.url('empty.xspf'), { root, logger, settings });
    expect(result.jobs).toEqual([]);
    expect(result.failures).toEqual([]);
    expect(result.warnings).toEqual([
      `${media.server.url('empty.xspf')} is a playlist with no videos that can be fetched (yet)`,
    ]);
  });

  it('validates the duration when the source gives one: pass, fail, or warn and publish', async () => {
    const { root, settings } = await media.setup();
    const ok = await fetchYoutube(media.server.url('dur-ok.xspf'), { root, logger, settings });
    const okJob = await readJob(ok.jobs[0]!.dir);
    expect(okJob.validation).toMatchObject({ duration_checks: 'pass', details: { online_duration_sec: 3 } });
    expect(okJob.youtube?.online_duration_sec).toBe(3);

    const bad = await fetchYoutube(media.server.url('dur-bad.xspf'), { root, logger, settings }).catch(
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({ code: 'DURATION_MISMATCH' });
    expect((bad as Error).message).toMatch(/source says 60 s/);

    const warnSettings = {
      ...settings,
      durationCheck: { ...settings.durationCheck, onMismatch: 'warn' as const },
    };
    const warned = await fetchYoutube(media.server.url('dur-bad.xspf'), {
      root,
      logger,
      settings: warnSettings,
    });
    expect(warned.warnings.join(' ')).toMatch(/published anyway/);
    expect((await readJob(warned.jobs[0]!.dir)).validation?.duration_checks).toBe('fail');
  });

  it('never lets yt-dlp write to the cookies file, and refuses one that is no regular file, naming it', async () => {
    const { root, settings } = await media.setup();
    const text = '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\tsigned-in-session\n';
    await writeFile(join(root, 'real-cookies.txt'), text);
    const linked = join(root, 'cookies-link.txt');
    await symlink(join(root, 'real-cookies.txt'), linked);
    const result = await fetchYoutube(media.server.url('song.m4a'), {
      root,
      logger,
      settings: { ...settings, cookiesFile: linked },
    });
    expect(result.jobs).toHaveLength(1);
    expect(media.server.cookies.get('/song.m4a')?.join(' ')).toContain('SID=signed-in-session');
    // yt-dlp saves its cookie jar back to the file it was given: before, it rewrote the user's file.
    expect(await readFile(join(root, 'real-cookies.txt'), 'utf8')).toBe(text);

    execFileSync('mkfifo', [join(root, 'fifo.txt')]);
    await mkdir(join(root, 'folder.txt'));
    for (const [name, kind] of [
      ['fifo.txt', /FIFO/],
      ['folder.txt', /folder/],
    ] as const) {
      const cookiesFile = join(root, name);
      // Before, yt-dlp opened the FIFO and waited for a writer for ever.
      await expect(
        fetchYoutube(media.server.url('song.m4a'), { root, logger, settings: { ...settings, cookiesFile } }),
      ).rejects.toMatchObject({ code: 'COOKIES_UNUSABLE', message: expect.stringContaining(cookiesFile) });
      await expect(
        fetchYoutube(media.server.url('song.m4a'), { root, logger, settings: { ...settings, cookiesFile } }),
      ).rejects.toThrow(kind);
    }
  }, 60_000);

  it("names the user's cookies file, not yt-dlp's private copy of it, when yt-dlp cannot read it", async () => {
    const { root, settings } = await media.setup();
    const cookiesFile = join(root, 'exported cookies.txt');
    await writeFile(cookiesFile, 'SID=signed-in-session; HSID=copied from the browser console\n');
    const failed = fetchYoutube(media.server.url('song.m4a'), {
      root,
      logger,
      settings: { ...settings, cookiesFile },
    });
    // Before, the message quoted '/tmp/imk-cookies-…/cookies.txt', a file the user never wrote, gone since.
    await expect(failed).rejects.toMatchObject({
      code: 'COOKIES_UNUSABLE',
      message: expect.stringContaining(`'${cookiesFile}' does not look like a Netscape format cookies file`),
    });
    await expect(failed).rejects.toThrow(/not a Netscape cookies\.txt file; export the cookies/);
    await expect(failed).rejects.not.toThrow(/imk-cookies-/);
  }, 60_000);

  it('sends the cookies of the configured cookies file, and says so when the file is missing', async () => {
    const { root, settings } = await media.setup();
    const cookiesFile = join(root, 'cookies.txt');
    await writeFile(
      cookiesFile,
      '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\tsigned-in-session\n',
    );
    const result = await fetchYoutube(media.server.url('song.m4a'), {
      root,
      logger,
      settings: { ...settings, cookiesFile },
    });
    expect(result.jobs).toHaveLength(1);
    expect(media.server.cookies.get('/song.m4a')?.join(' ')).toContain('SID=signed-in-session');

    const missing = { ...settings, cookiesFile: join(root, 'nope.txt') };
    // Not there yet (being copied): looked for again under the fetch's retry policy, and used once it came.
    // Before, the fetch failed at once with COOKIES_MISSING, a code whose catalogue says "try again".
    // The file arrives when the fetch has looked for it and said it will look again (its retry line, written
    // as it is logged, before the wait): the retry is always exercised, however slow the machine.
    const late = join(root, 'late.txt');
    const retried: { msg: string; err?: string }[] = [];
    const copying = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const line = JSON.parse(chunk.toString()) as { msg: string; err?: string };
        if (/failed; retrying/.test(line.msg)) {
          retried.push(line);
          if (retried.length === 1)
            writeFileSync(
              late,
              '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\tlate-session\n',
            );
        }
        done();
      },
    });
    const arrived = await fetchYoutube(media.server.url('audio.m4a'), {
      root,
      logger: createLogger('test', { level: 'warn', destination: copying }),
      settings: { ...settings, cookiesFile: late },
    });
    expect(retried).toHaveLength(1);
    expect(retried[0]!.err).toContain('late.txt');
    expect(arrived.jobs).toHaveLength(1);
    expect(media.server.cookies.get('/audio.m4a')?.join(' ')).toContain('SID=late-session');
    await expect(
      fetchYoutube(media.server.url('song.m4a'), { root, logger, settings: missing }),
    ).rejects.toMatchObject({
      code: 'COOKIES_MISSING',
      message: expect.stringContaining('nope.txt'),
    });
  });
});
