import { copyFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { probeMedia } from '@imk/media';
import { fetchYoutube, loadYoutubeSettings, type YoutubeConfig } from '../src/index.ts';
import { linkJobId, linkKey } from './expected-ids.ts';
import { generateMedia, startMediaServer, type MediaServer } from './media-server.ts';

// A request for one song must never be taken for another's: two links whose yt-dlp "id" is the same (the same
// file name on two hosts or folders, the same id on two sites, no id at all) are two jobs, and neither is
// reported as "already fetched". The real yt-dlp against a loopback server.
const logger = createLogger('test', { level: 'silent' });
let mediaDir: string;
let server: MediaServer;
const roots: string[] = [];

// Mediasite takes any host; its ids are 32 hex digits, and so can a file name be.
const SHARED_ID = '0123456789abcdef0123456789abcdef';

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'imk-yt-id-media-'));
  await generateMedia(mediaDir);
  await copyFile(join(mediaDir, 'two.m4a'), join(mediaDir, `${SHARED_ID}.m4a`));
  server = await startMediaServer(mediaDir);
});
afterAll(async () => {
  await server.close();
  await Promise.all([mediaDir, ...roots].map((dir) => rm(dir, { recursive: true, force: true })));
});

async function setup(overrides: Partial<YoutubeConfig> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'imk-yt-id-root-'));
  roots.push(root);
  const settings = await loadYoutubeSettings(root, {
    retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
    ...overrides,
  });
  return { root, settings };
}

describe('one job per song, whatever id yt-dlp gives', () => {
  it('two links to files of the same name (other folder, other host) are two jobs, neither skipped', async () => {
    const { root, settings } = await setup();
    const links = [server.url('song.m4a'), server.url('other/song.m4a'), server.otherHostUrl('song.m4a')];
    const results = [];
    for (const link of links) results.push(await fetchYoutube(link, { root, logger, settings }));
    const ids = links.map((link) => linkJobId('generic', 'song', link, 'audio'));
    expect(new Set(ids).size).toBe(3);
    expect(results.map((result) => result.skipped)).toEqual([[], [], []]);
    expect(results.map((result) => result.jobs.map((job) => job.jobId))).toEqual(ids.map((id) => [id]));
    const queued = (await readdir(join(root, 'queues', 'youtube_audio'))).sort();
    expect(queued).toEqual(ids.map((id) => `job_${id}`).sort());
    // Each bundle holds the song its own link named (song.m4a and other/song.m4a are two different tones).
    const audio = (id: string) => join(root, 'queues', 'youtube_audio', `job_${id}`, 'audio.m4a');
    const [first, second] = await Promise.all([readFile(audio(ids[0]!)), readFile(audio(ids[1]!))]);
    expect(first.equals(second)).toBe(false);
    for (const id of ids) expect((await probeMedia(audio(id))).duration_sec).toBeCloseTo(3, 0);
    // The archive tells them apart too, and a second request for any of them is still skipped.
    expect(
      (await readFile(join(settings.archiveDir, 'download-archive-audio.txt'), 'utf8')).split('\n'),
    ).toEqual([...links.map((link) => `generic ${linkKey('song', link)}`), '']);
    const again = await fetchYoutube(server.url('other/song.m4a'), { root, logger, settings });
    expect(again.jobs).toEqual([]);
    expect(again.skipped).toEqual([{ id: ids[1], reason: expect.stringContaining('already fetched') }]);
  });

  it('the same id on two sites (a Mediasite presentation and a file of that name) is two jobs', async () => {
    const { root, settings } = await setup();
    server.setPage(`Mediasite/Play/${SHARED_ID}`, '<!doctype html><html><body>player</body></html>');
    server.setPage(
      'Mediasite/PlayerService/PlayerService.svc/json/GetPlayerOptions',
      JSON.stringify({
        d: {
          Presentation: {
            Title: 'Lecture Song',
            Duration: 3000,
            Streams: [
              {
                StreamType: 0,
                VideoUrls: [{ Location: server.url('song.m4a'), MimeType: 'audio/mp4', MediaType: 'MP4' }],
              },
            ],
          },
        },
      }),
    );
    const lecture = await fetchYoutube(server.url(`Mediasite/Play/${SHARED_ID}`), { root, logger, settings });
    const file = await fetchYoutube(server.url(`${SHARED_ID}.m4a`), { root, logger, settings });
    expect(lecture.jobs.map((job) => job.jobId)).toEqual([`yt_mediasite.${SHARED_ID}_audio`]);
    expect(file.jobs.map((job) => job.jobId)).toEqual([
      linkJobId('generic', SHARED_ID, server.url(`${SHARED_ID}.m4a`), 'audio'),
    ]);
    expect(file.skipped).toEqual([]);
    // Mediasite's ids are its own, so its archive line is the one yt-dlp writes.
    expect(await readFile(join(settings.archiveDir, 'download-archive-audio.txt'), 'utf8')).toBe(
      `mediasite ${SHARED_ID}\ngeneric ${linkKey(SHARED_ID, server.url(`${SHARED_ID}.m4a`))}\n`,
    );
  });

  it('a page whose song was replaced by another (same position, same "id") gives the new song its own job', async () => {
    const { root, settings } = await setup();
    const page = (file: string) =>
      `<!doctype html><html><head><title>Song of the day</title></head><body><audio src="${file}"></audio></body></html>`;
    server.setPage('today.html', page('song.m4a'));
    const monday = await fetchYoutube(server.url('today.html'), { root, logger, settings });
    server.setPage('today.html', page('two.m4a'));
    const tuesday = await fetchYoutube(server.url('today.html'), { root, logger, settings });
    expect(monday.jobs.map((job) => job.jobId)).toEqual([
      linkJobId('html5mediaembed', 'today-1', server.url('song.m4a'), 'audio'),
    ]);
    expect(tuesday.skipped).toEqual([]);
    expect(tuesday.jobs.map((job) => job.jobId)).toEqual([
      linkJobId('html5mediaembed', 'today-1', server.url('two.m4a'), 'audio'),
    ]);
    // The same song again is still "already fetched".
    const wednesday = await fetchYoutube(server.url('today.html'), { root, logger, settings });
    expect(wednesday.jobs).toEqual([]);
    expect(wednesday.skipped).toHaveLength(1);
  });

  it('entries with no id (an RSS feed) are one job each, keyed by their link, titled as the feed says', async () => {
    const { root, settings } = await setup();
    const enclosures = [server.url('song.m4a'), server.url('other/song.m4a'), server.url('two.m4a')];
    server.setPage(
      'feed.xml',
      `<?xml version="1.0"?><rss version="2.0"><channel><title>My Feed</title>${enclosures
        .map(
          (link, index) =>
            `<item><title>Episode ${String(index + 1)}</title><enclosure url="${link}" type="audio/mp4"/></item>`,
        )
        .join('')}</channel></rss>`,
    );
    const result = await fetchYoutube(server.url('feed.xml'), { root, logger, settings });
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.jobs.map((job) => job.jobId)).toEqual([
      linkJobId('generic', 'song', enclosures[0]!, 'audio'),
      linkJobId('generic', 'song', enclosures[1]!, 'audio'),
      linkJobId('generic', 'two', enclosures[2]!, 'audio'),
    ]);
    // Each is named as the feed names it, not after its file.
    expect(result.jobs.map((job) => job.title)).toEqual(['Episode 1', 'Episode 2', 'Episode 3']);
  });
});
