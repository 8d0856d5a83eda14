import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { probeMedia } from '@imk/media';
import { JobSchema, readBundle, type Job } from '@imk/protocol';
import { within } from '@imk/fs-safe/testing';
import {
  fetchYoutube,
  loadYoutubeSettings,
  startYoutubeRetriever,
  type YoutubeConfig,
} from '../src/index.ts';
import { linkJobId, linkKey } from './expected-ids.ts';
import { generateMedia, startMediaServer, type MediaServer } from './media-server.ts';

// The real yt-dlp (Debian's package) against a loopback server; its generic extractor reports no duration.
const logger = createLogger('test', { level: 'silent' });
let mediaDir: string;
let server: MediaServer;
const roots: string[] = [];

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'imk-yt-media-'));
  await generateMedia(mediaDir);
  server = await startMediaServer(mediaDir);
});
afterAll(async () => {
  await server.close();
  await Promise.all([mediaDir, ...roots].map((dir) => rm(dir, { recursive: true, force: true })));
});

async function setup(overrides: Partial<YoutubeConfig> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'imk-yt-root-'));
  roots.push(root);
  const settings = await loadYoutubeSettings(root, {
    retries: { attempts: 3, backoffMs: 200, maxBackoffMs: 1000, ytDlpRetries: 3 },
    ...overrides,
  });
  return { root, settings };
}

async function readJob(dir: string): Promise<Job> {
  return JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
}

/**
 * Runs the retriever (request folder polled every 100 ms, one try per link) on root's requests/youtube/
 * until `handled` says what that folder holds is all handled; then stops it.
 */
async function runUntilHandled(root: string, handled: (names: string[]) => boolean): Promise<void> {
  const requests = join(root, 'requests', 'youtube');
  const controller = new AbortController();
  const running = startYoutubeRetriever({
    root,
    logger,
    signal: controller.signal,
    overrides: {
      pollIntervalMs: 100,
      retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
    },
  });
  try {
    const deadline = Date.now() + 90_000;
    while (!handled(await readdir(requests))) {
      if (Date.now() > deadline)
        throw new Error(`requests not handled: ${(await readdir(requests)).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    controller.abort();
    await within(running, 60_000, 'the youtube retriever to stop once its signal was aborted');
  }
}

describe('fetchYoutube with the real yt-dlp', () => {
  it('fetches an audio file into youtube_audio, records the duration check as skipped', async () => {
    const { root, settings } = await setup();
    const result = await fetchYoutube(server.url('audio.m4a'), { root, logger, settings, mode: 'audio' });
    // A direct file link: yt-dlp's generic extractor names it after the file, so its link is hashed in.
    const jobId = linkJobId('generic', 'audio', server.url('audio.m4a'), 'audio');
    expect(result.jobs.map((job) => job.jobId)).toEqual([jobId]);
    const dir = join(root, 'queues', 'youtube_audio', `job_${jobId}`);
    expect(await readBundle(dir)).toMatchObject({ ok: true });
    const job = await readJob(dir);
    expect(job).toMatchObject({
      source_type: 'youtube',
      album: 'YTDL',
      title: 'audio',
      audio_path: 'audio.m4a',
      youtube: { video_id: 'audio', url: server.url('audio.m4a'), online_duration_sec: null },
      validation: { duration_checks: 'skipped' },
    });
    const probed = await probeMedia(join(dir, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(3, 0);
  });

  it('mode both makes an audio job and a video job, with the WebP poster converted to cover.jpg', async () => {
    const { root, settings } = await setup();
    const result = await fetchYoutube(server.url('single.html'), { root, logger, settings, mode: 'both' });
    // The media of a page: yt-dlp's html5 extractor names it after the page, hashed with the media's link.
    const jobId = (kind: string) => linkJobId('html5mediaembed', 'single-1', server.url('video.mp4'), kind);
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
    });
  });

  it('says clearly that a link is not found (HTTP 404) and publishes nothing', async () => {
    const { root, settings } = await setup();
    const error = await fetchYoutube(server.url('missing.m4a'), { root, logger, settings }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as Error).message).toContain('HTTP 404');
    expect((error as Error).message).toContain(server.url('missing.m4a'));
    expect(await readdir(join(root, 'queues')).catch(() => [])).toEqual([]);
  });

  it('takes any other HTTP 4xx answer (410 Gone, 451) as the verdict on the link: said so, not retried as network trouble', async () => {
    const { root, settings } = await setup();
    for (const status of [410, 451]) {
      const link = server.url(`status-${status}.m4a`);
      const error = await fetchYoutube(link, { root, logger, settings }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'LINK_REFUSED' });
      expect((error as Error).message).toMatch(
        new RegExp(`^the site refused ${link} .*HTTP Error ${status}`),
      );
      expect(server.hits.get(`/status-${status}.m4a`)).toBe(1);
    }
    // A timeout answer (408) is passing trouble: tried again as before.
    await expect(
      fetchYoutube(server.url('status-408.m4a'), { root, logger, settings }),
    ).rejects.toMatchObject({ code: 'NETWORK' });
    expect(server.hits.get('/status-408.m4a')).toBe(3);
    expect(await readdir(join(root, 'queues')).catch(() => [])).toEqual([]);
  });

  it('refuses anything but http(s) before yt-dlp runs', async () => {
    const { root, settings } = await setup();
    await expect(fetchYoutube('file:///etc/passwd', { root, logger, settings })).rejects.toMatchObject({
      code: 'INVALID_URL',
    });
    await expect(fetchYoutube('--exec=rm -rf /', { root, logger, settings })).rejects.toMatchObject({
      code: 'INVALID_URL',
    });
  });

  it('survives a connection dropped mid-download: yt-dlp resumes and the file ends whole', async () => {
    const { root, settings } = await setup();
    const result = await fetchYoutube(server.url('flaky1.html'), { root, logger, settings });
    expect(result.jobs).toHaveLength(1);
    expect(server.hits.get('/flaky1.m4a')).toBe(2);
    expect(server.ranges.get('/flaky1.m4a')?.[0]).toMatch(/^bytes=[1-9]\d*-/); // resumed, not restarted
    const probed = await probeMedia(join(result.jobs[0]!.dir, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(20, 0);
  });

  it('retries the whole yt-dlp run with backoff when yt-dlp itself gives up on the network', async () => {
    const { root, settings } = await setup({
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
    const result = await fetchYoutube(server.url('flaky2.html'), { root, logger: warnLogger, settings });
    const retries = lines
      .map((line) => JSON.parse(line) as { msg: string; err?: string })
      .filter((entry) => /failed; retrying/.test(entry.msg));
    expect(retries).toHaveLength(1);
    expect(retries[0]!.err).toMatch(/network trouble/);
    expect(result.jobs).toHaveLength(1);
    expect(server.hits.get('/flaky2.m4a')).toBe(2);
    const probed = await probeMedia(join(result.jobs[0]!.dir, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(20, 0);
  });

  it('keeps a download archive: the second fetch of a URL publishes nothing new', async () => {
    const { root, settings } = await setup();
    const first = await fetchYoutube(server.url('two.m4a'), { root, logger, settings });
    expect(first.jobs).toHaveLength(1);
    // The consumer took the bundle away; the archive still remembers the video.
    const jobId = linkJobId('generic', 'two', server.url('two.m4a'), 'audio');
    await rm(join(root, 'queues', 'youtube_audio', `job_${jobId}`), { recursive: true });
    const hitsBefore = server.hits.get('/two.m4a') ?? 0;
    const second = await fetchYoutube(server.url('two.m4a'), { root, logger, settings });
    expect(second.jobs).toEqual([]);
    expect(second.skipped).toEqual([{ id: jobId, reason: expect.stringContaining('already fetched') }]);
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toEqual([]);
    expect(await readFile(join(settings.archiveDir, 'download-archive-audio.txt'), 'utf8')).toBe(
      `generic ${linkKey('two', server.url('two.m4a'))}\n`,
    );
    expect(server.hits.get('/two.m4a') ?? 0).toBeLessThanOrEqual(hitsBefore + 1); // metadata only, no download
  });

  it('reports a video another request is publishing this moment as skipped, not failed', async () => {
    const PRODUCER_FILE = 'imk-producer.json'; // docs/protocol.md: the producer of a .tmp bundle
    const { root, settings } = await setup({ downloadArchive: { enabled: false } });
    // The other request's bundle, being written by a live process (this test's parent).
    const jobId = linkJobId('generic', 'two', server.url('two.m4a'), 'audio');
    const tmp = join(root, 'queues', 'youtube_audio', `job_${jobId}.tmp`);
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, PRODUCER_FILE), JSON.stringify({ host: hostname(), pid: process.ppid }));
    const result = await fetchYoutube(server.url('two.m4a'), { root, logger, settings });
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual([
      { id: jobId, reason: expect.stringContaining('is already being published by process') },
    ]);
    expect(await readdir(tmp)).toEqual([PRODUCER_FILE]);
  });

  it('expands a page with several media into one job per entry', async () => {
    const { root, settings } = await setup();
    const result = await fetchYoutube(server.url('page.html'), { root, logger, settings });
    const ids = [
      linkJobId('html5mediaembed', 'page-1', server.url('audio.m4a'), 'audio'),
      linkJobId('html5mediaembed', 'page-2', server.url('two.m4a'), 'audio'),
    ];
    expect(result.jobs.map((job) => job.jobId)).toEqual(ids);
    const second = await readJob(join(root, 'queues', 'youtube_audio', `job_${ids[1]!}`));
    expect(second.title).toBe('My Mix (2)');
    const probed = await probeMedia(join(root, 'queues', 'youtube_audio', `job_${ids[1]!}`, 'audio.m4a'));
    expect(probed.duration_sec).toBeCloseTo(3, 0);
  });

  it('an empty playlist is nothing to do, not a failure: no job, no failure, a warning naming it', async () => {
    const { root, settings } = await setup();
    server.setPage(
      '/empty.xspf',
      '<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList></trackList></playlist>',
    );
    const result = await fetchYoutube(server.url('empty.xspf'), { root, logger, settings });
    expect(result.jobs).toEqual([]);
    expect(result.failures).toEqual([]);
    expect(result.warnings).toEqual([
      `${server.url('empty.xspf')} is a playlist with no videos that can be fetched (yet)`,
    ]);
  });

  it('validates the duration when the source gives one: pass, fail, or warn and publish', async () => {
    const { root, settings } = await setup();
    const ok = await fetchYoutube(server.url('dur-ok.xspf'), { root, logger, settings });
    const okJob = await readJob(ok.jobs[0]!.dir);
    expect(okJob.validation).toMatchObject({ duration_checks: 'pass', details: { online_duration_sec: 3 } });
    expect(okJob.youtube?.online_duration_sec).toBe(3);

    const bad = await fetchYoutube(server.url('dur-bad.xspf'), { root, logger, settings }).catch(
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({ code: 'DURATION_MISMATCH' });
    expect((bad as Error).message).toMatch(/source says 60 s/);

    const warnSettings = {
      ...settings,
      durationCheck: { ...settings.durationCheck, onMismatch: 'warn' as const },
    };
    const warned = await fetchYoutube(server.url('dur-bad.xspf'), { root, logger, settings: warnSettings });
    expect(warned.warnings.join(' ')).toMatch(/published anyway/);
    expect((await readJob(warned.jobs[0]!.dir)).validation?.duration_checks).toBe('fail');
  });

  it('handles .txt request files: .done with the job ids, .fail with the reason beside it', async () => {
    const { root } = await setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    await writeFile(join(requests, 'song.txt'), `# from my phone\nmode: both\n${server.url('video.mp4')}\n`);
    await writeFile(join(requests, 'gone.txt'), `${server.url('gone.m4a')}\n`);
    await writeFile(join(requests, 'weird.txt'), 'ftp://example.com/song.mp3\n');
    const wanted = ['gone.fail', 'gone.fail.reason', 'song.done', 'weird.fail', 'weird.fail.reason'];
    await runUntilHandled(root, (names) => JSON.stringify(names.sort()) === JSON.stringify(wanted));
    const done = await readFile(join(requests, 'song.done'), 'utf8');
    expect(done).toContain(server.url('video.mp4'));
    const jobId = (kind: string) => linkJobId('generic', 'video', server.url('video.mp4'), kind);
    expect(done).toContain(`# job ${jobId('audio')} -> youtube_audio`);
    expect(done).toContain(`# job ${jobId('video')} -> youtube_video`);
    expect(await readFile(join(requests, 'gone.fail.reason'), 'utf8')).toMatch(/HTTP 404.*\[NOT_FOUND\]/);
    expect(await readFile(join(requests, 'weird.fail.reason'), 'utf8')).toMatch(
      /only http\(s\) links.*\[INVALID_URL\]/,
    );
    expect(await readdir(join(root, 'queues', 'youtube_video'))).toEqual([`job_${jobId('video')}`]);
  });

  it('reads request files as people write them: BOM, CRLF, # notes after a link, several links on a line, one link twice', async () => {
    const { root } = await setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const [one, two, three] = [server.url('audio.m4a'), server.url('two.m4a'), server.url('song.m4a')];
    await writeFile(
      join(requests, 'from my phone ☎.txt'),
      `\uFEFF# saved on the phone\r\nmode: audio   # only the sound\r\n${one}   # my favourite\r\n\r\n${two} ${three}\r\n${one}\r\n`,
    );
    await runUntilHandled(root, (names) => names.some((name) => /\.(done|fail)$/.test(name)));
    expect(await readdir(requests)).toEqual(['from my phone ☎.done']);
    const done = await readFile(join(requests, 'from my phone ☎.done'), 'utf8');
    const ids = [
      linkJobId('generic', 'audio', one, 'audio'),
      linkJobId('generic', 'two', two, 'audio'),
      linkJobId('generic', 'song', three, 'audio'),
    ];
    for (const id of ids) expect(done).toContain(`# job ${id} -> youtube_audio`);
    // The link given twice is fetched once, and said so: not "already fetched" by a second run.
    expect(done).toContain(`# skipped ${one}: listed more than once in from my phone ☎.txt; fetched once`);
    expect(done).not.toContain('already fetched');
    expect((await readdir(join(root, 'queues', 'youtube_audio'))).sort()).toEqual(
      ids.map((id) => `job_${id}`).sort(),
    );
  });

  it('reads a request file written as UTF-16 (Windows PowerShell, Notepad "Unicode") and adds its notes in UTF-16', async () => {
    const { root } = await setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const utf16 = (text: string, bigEndian: boolean) => {
      const bytes = Buffer.concat([Buffer.from('\uFEFF', 'utf16le'), Buffer.from(text, 'utf16le')]);
      return bigEndian ? bytes.swap16() : bytes;
    };
    // What `echo <link> > ps.txt` writes in Windows PowerShell 5: UTF-16 LE with its mark, CRLF.
    await writeFile(join(requests, 'ps.txt'), utf16(`${server.url('two.m4a')}\r\n`, false));
    await writeFile(join(requests, 'be.txt'), utf16(`${server.url('song.m4a')}\n`, true));
    await runUntilHandled(root, (names) => names.filter((name) => /\.(done|fail)$/.test(name)).length >= 2);
    expect((await readdir(requests)).sort()).toEqual(['be.done', 'ps.done']);
    const le = (await readFile(join(requests, 'ps.done'))).toString('utf16le');
    expect(le).toContain(
      `# job ${linkJobId('generic', 'two', server.url('two.m4a'), 'audio')} -> youtube_audio`,
    );
    const be = Buffer.from(await readFile(join(requests, 'be.done')))
      .swap16()
      .toString('utf16le');
    expect(be).toContain(
      `# job ${linkJobId('generic', 'song', server.url('song.m4a'), 'audio')} -> youtube_audio`,
    );
  });

  it('says why a huge line failed: the reason quotes its start, its length and the code, never the whole line', async () => {
    const { root } = await setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const hugeLink = `${server.url('audio.m4a')}?x=${'a'.repeat(300_000)}`;
    const junk = 'z'.repeat(500_000);
    await writeFile(join(requests, 'pasted.txt'), `${hugeLink}\n${junk}\n${server.url('two.m4a')}\n`);
    await runUntilHandled(root, (names) => names.includes('pasted.fail.reason'));
    const reason = await readFile(join(requests, 'pasted.fail.reason'), 'utf8');
    const lines = reason.split('\n');
    expect(lines[0]).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/audio\.m4a\?x=a+… \(\d+ more characters left out\): ".*" is 300\d+ characters long, more than a link can be \(8192\); check that it holds the one link you meant \[INVALID_URL\]$/,
    );
    expect(lines[1]).toMatch(
      /^z+… \(\d+ more characters left out\): ".*" is 500000 characters long.*\[INVALID_URL\]$/,
    );
    expect(reason.length).toBeLessThan(4000);
    // The good link of the same file is fetched all the same.
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toEqual([
      `job_${linkJobId('generic', 'two', server.url('two.m4a'), 'audio')}`,
    ]);
  });

  it("keeps a link's user:password out of the job and the reason file; the link is still fetched with them", async () => {
    const { root } = await setup();
    const requests = join(root, 'requests', 'youtube');
    await mkdir(requests, { recursive: true });
    const withLogin = (path: string) => server.url(path).replace('://', '://bob:hunter2@');
    await writeFile(join(requests, 'nas.txt'), `${withLogin('two.m4a')}\n${withLogin('gone.m4a')}\n`);
    await runUntilHandled(root, (names) => names.includes('nas.fail.reason'));
    const reason = await readFile(join(requests, 'nas.fail.reason'), 'utf8');
    expect(reason).not.toContain('hunter2');
    expect(reason).toMatch(/http:\/\/\[redacted\]@127\.0\.0\.1:\d+\/gone\.m4a.*HTTP 404.*\[NOT_FOUND\]/);
    const [queued] = await readdir(join(root, 'queues', 'youtube_audio'));
    const dir = join(root, 'queues', 'youtube_audio', queued!);
    expect(await readFile(join(dir, 'job.json'), 'utf8')).not.toContain('hunter2');
    expect((await readJob(dir)).youtube).toMatchObject({ url: server.url('two.m4a') });
    const basic = `Basic ${Buffer.from('bob:hunter2').toString('base64')}`;
    expect(server.authorizations.get('/two.m4a')).toContain(basic);
  });

  it('never lets yt-dlp write to the cookies file, and refuses one that is no regular file, naming it', async () => {
    const { root, settings } = await setup();
    const text = '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\tsigned-in-session\n';
    await writeFile(join(root, 'real-cookies.txt'), text);
    const linked = join(root, 'cookies-link.txt');
    await symlink(join(root, 'real-cookies.txt'), linked);
    const result = await fetchYoutube(server.url('song.m4a'), {
      root,
      logger,
      settings: { ...settings, cookiesFile: linked },
    });
    expect(result.jobs).toHaveLength(1);
    expect(server.cookies.get('/song.m4a')?.join(' ')).toContain('SID=signed-in-session');
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
        fetchYoutube(server.url('song.m4a'), { root, logger, settings: { ...settings, cookiesFile } }),
      ).rejects.toMatchObject({ code: 'COOKIES_UNUSABLE', message: expect.stringContaining(cookiesFile) });
      await expect(
        fetchYoutube(server.url('song.m4a'), { root, logger, settings: { ...settings, cookiesFile } }),
      ).rejects.toThrow(kind);
    }
  }, 60_000);

  it("names the user's cookies file, not yt-dlp's private copy of it, when yt-dlp cannot read it", async () => {
    const { root, settings } = await setup();
    const cookiesFile = join(root, 'exported cookies.txt');
    await writeFile(cookiesFile, 'SID=signed-in-session; HSID=copied from the browser console\n');
    const failed = fetchYoutube(server.url('song.m4a'), {
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
    const { root, settings } = await setup();
    const cookiesFile = join(root, 'cookies.txt');
    await writeFile(
      cookiesFile,
      '# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tSID\tsigned-in-session\n',
    );
    const result = await fetchYoutube(server.url('song.m4a'), {
      root,
      logger,
      settings: { ...settings, cookiesFile },
    });
    expect(result.jobs).toHaveLength(1);
    expect(server.cookies.get('/song.m4a')?.join(' ')).toContain('SID=signed-in-session');

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
    const arrived = await fetchYoutube(server.url('audio.m4a'), {
      root,
      logger: createLogger('test', { level: 'warn', destination: copying }),
      settings: { ...settings, cookiesFile: late },
    });
    expect(retried).toHaveLength(1);
    expect(retried[0]!.err).toContain('late.txt');
    expect(arrived.jobs).toHaveLength(1);
    expect(server.cookies.get('/audio.m4a')?.join(' ')).toContain('SID=late-session');
    await expect(
      fetchYoutube(server.url('song.m4a'), { root, logger, settings: missing }),
    ).rejects.toMatchObject({
      code: 'COOKIES_MISSING',
      message: expect.stringContaining('nope.txt'),
    });
  });
});
