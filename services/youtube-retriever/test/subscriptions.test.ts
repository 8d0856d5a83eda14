import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { createLogger } from '@imk/log';
import { nodeScript } from '../../../packages/cli/test/bundle/scripts.ts';
import {
  readSubscriptionStatus,
  subscriptionId,
  subscriptionPaths,
  type Subscription,
} from '@imk/retriever-sdk';
import { listSubscriptions, loadYoutubeSettings, runDueSubscriptions } from '../src/index.ts';
import { linkJobId } from './expected-ids.ts';
import { generateMedia, startMediaServer, type MediaServer } from './media-server.ts';

// Subscriptions with the real yt-dlp against a loopback "channel": a page whose media yt-dlp's generic
// extractor lists as a playlist (entries channel-1, channel-2, … in page order), which grows between runs.
const logger = createLogger('test', { level: 'silent' });
let mediaDir: string;
let root: string;
let server: MediaServer;

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'imk-subs-media-'));
  root = await mkdtemp(join(tmpdir(), 'imk-subs-root-'));
  await generateMedia(mediaDir);
  server = await startMediaServer(mediaDir);
});
afterAll(async () => {
  await server.close();
  await Promise.all([mediaDir, root].map((dir) => rm(dir, { recursive: true, force: true })));
});

const channel = (files: string[]) =>
  `<!doctype html><html><head><title>My Channel</title></head><body>${files
    .map((file) => `<audio src="${file}" controls></audio>`)
    .join('')}</body></html>`;
const HOUR = 3_600_000;
/** A playlist with no entries: its run lists it and fetches nothing, and succeeds. */
const EMPTY_PLAYLIST =
  '<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/"><trackList></trackList></playlist>';
/** The job id of the n-th media of a page (yt-dlp's html5 extractor), hashed with the media's link. */
const entryId = (page: string, n: number, file: string) =>
  linkJobId('html5mediaembed', `${page}-${String(n)}`, server.url(file), 'audio');

describe('subscriptions with the real yt-dlp', () => {
  it('fetches at most limit new entries per run, only new ones, on schedule; a broken one is recorded, not fatal', async () => {
    server.setPage('channel.html', channel(['audio.m4a', 'two.m4a', 'song.m4a']));
    const good: Subscription = { url: server.url('channel.html'), mode: 'audio', every: '6h', limit: 2 };
    const broken: Subscription = { url: server.url('gone.html'), every: '6h', limit: 5 };
    const load = () =>
      loadYoutubeSettings(root, {
        subscriptions: [broken, good],
        retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
      });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const run = async (at: number) =>
      // Settings loaded again each time, as after a restart: the schedule lives in the status files.
      runDueSubscriptions({ settings: await load(), logger, now: new Date(at) });

    const first = await run(t0);
    expect(first.map((s) => s.url)).toEqual([broken.url, good.url]);
    expect(first[0]).toMatchObject({ ok: false, fetched: [], error: { code: 'NOT_FOUND' } });
    expect(first[1]).toMatchObject({
      ok: true,
      fetched: [entryId('channel', 1, 'audio.m4a'), entryId('channel', 2, 'two.m4a')],
    });

    // The good one is not due yet: it is not listed. The broken one is tried again sooner than every.
    const hits = server.hits.get('/channel.html');
    expect((await run(t0 + HOUR)).map((s) => s.url)).toEqual([broken.url]);
    expect(server.hits.get('/channel.html')).toBe(hits);

    // Due: the entry the limit held back, and only it.
    const second = await run(t0 + 6 * HOUR);
    expect(second[1]).toMatchObject({ ok: true, fetched: [entryId('channel', 3, 'song.m4a')] });

    // The channel grows by one: exactly that one is fetched.
    server.setPage('channel.html', channel(['audio.m4a', 'two.m4a', 'song.m4a', 'audio.m4a']));
    const third = await run(t0 + 12 * HOUR);
    expect(third[1]).toMatchObject({ ok: true, fetched: [entryId('channel', 4, 'audio.m4a')], failed: [] });

    expect((await readdir(join(root, 'queues', 'youtube_audio'))).sort()).toEqual([
      ...[
        entryId('channel', 1, 'audio.m4a'),
        entryId('channel', 2, 'two.m4a'),
        entryId('channel', 3, 'song.m4a'),
        entryId('channel', 4, 'audio.m4a'),
      ]
        .map((id) => `job_${id}`)
        .sort(),
    ]);
    const settings = await load();
    expect(await readSubscriptionStatus(settings.stateDir, subscriptionId(good))).toMatchObject({
      last_run_at: new Date(t0 + 12 * HOUR).toISOString(),
      fetched: [entryId('channel', 4, 'audio.m4a')],
    });
    expect(await readSubscriptionStatus(settings.stateDir, subscriptionId(broken))).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringContaining('gone.html') },
    });
  });

  it('an entry that always fails does not use up the limit: the entries after it are still fetched, one run after another', async () => {
    // A feed whose newest item points to a file that is gone (a removed episode, a private video): it fails
    // every run. With limit 1 it must not hold back every other entry for ever.
    const other = await mkdtemp(join(tmpdir(), 'imk-subs-root3-'));
    try {
      const links = [server.url('gone-episode.m4a'), server.url('song.m4a'), server.url('two.m4a')];
      server.setPage(
        'podcast.xml',
        `<?xml version="1.0"?><rss version="2.0"><channel><title>My Podcast</title>${links
          .map(
            (link, index) =>
              `<item><title>Episode ${String(index + 1)}</title><enclosure url="${link}" type="audio/mp4"/></item>`,
          )
          .join('')}</channel></rss>`,
      );
      const subscription: Subscription = {
        url: server.url('podcast.xml'),
        mode: 'audio',
        every: '1h',
        limit: 1,
      };
      const load = () =>
        loadYoutubeSettings(other, {
          subscriptions: [subscription],
          retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
        });
      const t0 = Date.parse('2026-02-01T00:00:00Z');
      const run = async (at: number) =>
        (await runDueSubscriptions({ settings: await load(), logger, now: new Date(at) }))[0];
      const song = linkJobId('generic', 'song', links[1]!, 'audio');
      const two = linkJobId('generic', 'two', links[2]!, 'audio');

      const first = await run(t0);
      expect(first?.fetched).toEqual([song]);
      expect(first?.failed).toHaveLength(1);
      expect(first?.failed[0]?.message).toContain('gone-episode');
      const second = await run(t0 + 2 * HOUR);
      expect(second?.fetched).toEqual([two]);
      expect((await readdir(join(other, 'queues', 'youtube_audio'))).sort()).toEqual(
        [song, two].map((id) => `job_${id}`).sort(),
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a video two subscriptions list is one job: the second skips it without downloading it, and it takes no place in its limit', async () => {
    const other = await mkdtemp(join(tmpdir(), 'imk-subs-twice-'));
    const feed = (name: string, files: string[]) =>
      server.setPage(
        name,
        `<?xml version="1.0"?><rss version="2.0"><channel><title>${name}</title>${files
          .map(
            (file, index) =>
              `<item><title>Item ${String(index + 1)}</title><enclosure url="${server.url(file)}" type="audio/mp4"/></item>`,
          )
          .join('')}</channel></rss>`,
      );
    try {
      feed('feed-a.xml', ['two.m4a', 'song.m4a']);
      feed('feed-b.xml', ['two.m4a', 'audio.m4a']);
      const [a, b]: Subscription[] = ['feed-a.xml', 'feed-b.xml'].map((page) => ({
        url: server.url(page),
        mode: 'audio',
        every: '1h',
        limit: 1,
      }));
      const run = async (subscriptions: Subscription[]) =>
        runDueSubscriptions({
          settings: await loadYoutubeSettings(other, {
            subscriptions,
            retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
          }),
          logger,
          now: new Date('2026-03-01T00:00:00Z'),
        });
      const two = linkJobId('generic', 'two', server.url('two.m4a'), 'audio');
      const audio = linkJobId('generic', 'audio', server.url('audio.m4a'), 'audio');
      const [first] = await run([a!]);
      expect(first?.fetched).toEqual([two]);
      // The second list, with the first one not due: it only runs b.
      const downloadsOfTwo = server.hits.get('/two.m4a');
      const [second] = await run([a!, b!]);
      expect(second).toMatchObject({ url: b!.url, ok: true, fetched: [audio], failed: [] });
      expect(server.hits.get('/two.m4a')).toBe(downloadsOfTwo);
      expect((await readdir(join(other, 'queues', 'youtube_audio'))).sort()).toEqual(
        [two, audio].map((id) => `job_${id}`).sort(),
      );
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a run whose list cannot be read is tried again after 5m, 10m, 20m (never longer than every), says why, and goes back to every once it works', async () => {
    // The channel page is missing (yt-dlp: HTTP 404) for three runs, then it is there.
    const other = await mkdtemp(join(tmpdir(), 'imk-subs-root4-'));
    try {
      const subscription: Subscription = {
        url: server.url('flaky.html'),
        mode: 'audio',
        every: '6h',
        limit: 5,
      };
      const lines: string[] = [];
      const log = createLogger('test', {
        level: 'info',
        destination: new Writable({
          write(chunk: Buffer, _, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      });
      const settings = await loadYoutubeSettings(other, {
        subscriptions: [subscription],
        retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
      });
      const MIN = 60_000;
      const t0 = Date.parse('2026-03-01T00:00:00Z');
      const hits = () => server.hits.get('/flaky.html') ?? 0;
      const run = async (minutes: number) =>
        (await runDueSubscriptions({ settings, logger: log, now: new Date(t0 + minutes * MIN) }))[0];

      const first = await run(0);
      expect(first).toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
        failures_in_a_row: 1,
        retry_at: new Date(t0 + 5 * MIN).toISOString(),
      });
      expect(lines.join('')).toContain('trying again in 5m');
      expect(lines.join('')).toContain('flaky.html');
      const seen = hits();
      expect(await run(4)).toBeUndefined();
      expect(hits()).toBe(seen);
      expect(await run(5)).toMatchObject({
        failures_in_a_row: 2,
        retry_at: new Date(t0 + 15 * MIN).toISOString(),
      });
      expect(await run(14)).toBeUndefined();
      expect(await run(15)).toMatchObject({
        failures_in_a_row: 3,
        retry_at: new Date(t0 + 35 * MIN).toISOString(),
      });
      expect(lines.join('')).toContain('trying again in 20m');

      server.setPage('flaky.html', channel(['song.m4a']));
      const recovered = await run(35);
      expect(recovered).toMatchObject({ ok: true, fetched: [entryId('flaky', 1, 'song.m4a')] });
      expect(recovered).not.toHaveProperty('failures_in_a_row');
      expect(recovered).not.toHaveProperty('retry_at');
      // Back on every (6h) after the success.
      expect(await run(35 + 6 * 60 - 1)).toBeUndefined();
      expect(await run(35 + 6 * 60)).toMatchObject({ ok: true, fetched: [] });
      expect(await readSubscriptionStatus(settings.stateDir, subscriptionId(subscription))).toMatchObject({
        ok: true,
        last_run_at: new Date(t0 + (35 + 6 * 60) * MIN).toISOString(),
      });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a subscriptions.json broken by a hand edit does not stop the subscriptions of the YAML; it is said in the log', async () => {
    // docs/retrievers.md: "to remove a subscription, delete it from the YAML or from subscriptions.json".
    const other = await mkdtemp(join(tmpdir(), 'imk-subs-root2-'));
    try {
      server.setPage('list2.html', channel(['song.m4a']));
      const settings = await loadYoutubeSettings(other, {
        subscriptions: [{ url: server.url('list2.html'), mode: 'audio', every: '1h', limit: 5 }],
        retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
      });
      const file = subscriptionPaths(settings.stateDir).dashboardFile;
      await mkdir(dirname(file), { recursive: true });
      // A subscription removed by hand, leaving a trailing comma: not JSON any more.
      await writeFile(
        file,
        '{"schema_version":1,"subscriptions":[{"url":"https://a.example/list","every":"6h","limit":10,"added_at":"2026-01-01T00:00:00Z"},]}',
      );
      const lines: string[] = [];
      const log = createLogger('test', {
        level: 'info',
        destination: new Writable({
          write(chunk: Buffer, _, done) {
            lines.push(chunk.toString());
            done();
          },
        }),
      });
      const ran = await runDueSubscriptions({ settings, logger: log });
      expect(ran).toHaveLength(1);
      expect(ran[0]).toMatchObject({ ok: true, fetched: [entryId('list2', 1, 'song.m4a')] });
      expect(lines.join('')).toContain(file);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

// The last problem said of the dashboard's subscriptions file was one module variable for the whole process:
// a second service (or test file) in the process whose file had the same problem heard nothing of it. Now a
// loop keeps its own memory (serveSubscriptions), so it still says a problem once, not every tick.
describe('a broken dashboard subscriptions file', () => {
  it('is said to each listing that has no memory of it, and once per loop that has', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-subs-broken-'));
    try {
      const settings = await loadYoutubeSettings(dir);
      const file = subscriptionPaths(settings.stateDir).dashboardFile;
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, '{ not json');
      const heard = () => {
        const lines: string[] = [];
        const log = createLogger('test', {
          level: 'info',
          destination: new Writable({
            write(chunk: Buffer, _, done) {
              lines.push(chunk.toString());
              done();
            },
          }),
        });
        return {
          log,
          said: () => lines.filter((line) => line.includes('skipped until their file is fixed')),
        };
      };
      const first = heard();
      const second = heard();
      expect(await listSubscriptions(settings, first.log)).toEqual([]);
      // Another service of the same process, or another test file: not silenced by the first.
      expect(await listSubscriptions(settings, second.log)).toEqual([]);
      expect(first.said()).toHaveLength(1);
      expect(second.said()).toHaveLength(1);
      expect(second.said()[0]).toContain('subscriptions.json');
      // One loop, tick after tick: said once while the problem stays the same.
      const loop = heard();
      const memory = {};
      for (let tick = 0; tick < 3; tick++) await listSubscriptions(settings, loop.log, memory);
      expect(loop.said()).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Two retrievers on different hosts share state/: when a subscription is due was its last_run_at (the
// clock of the host that ran it) plus `every`, against the clock of the host looking. A host a day ahead
// ran again every subscription the other had just run (fetching twice); one a day behind took the time
// for a clock that went back and ran them too. Times are on the file system's clock now.
describe("subscriptions shared by retrievers on hosts whose clocks are off the file system's", () => {
  const CHILD = fileURLToPath(new URL('./fixtures/run-subscriptions.ts', import.meta.url));
  it.each([
    ['a day ahead of', 86_400_000],
    ['a day behind', -86_400_000],
  ])('one run here is not run again by a retriever %s it', async (_, offset) => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-subs-clock-'));
    try {
      // An empty playlist: the run is recorded (its start time is what the other host reads) without a
      // download, which this case does not look at.
      const page = `clock${String(offset > 0)}.xspf`;
      server.setPage(page, EMPTY_PLAYLIST);
      const ran: Subscription = { url: server.url(page), mode: 'audio', every: '6h', limit: 1 };
      // Never run: due on any clock (the other host does run what is due).
      const fresh: Subscription = {
        url: server.url(`fresh${String(offset > 0)}.html`),
        every: '6h',
        limit: 1,
      };
      const overrides = {
        subscriptions: [ran],
        retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
      };
      const here = await runDueSubscriptions({ settings: await loadYoutubeSettings(dir, overrides), logger });
      expect(here.map((s) => [s.url, s.ok])).toEqual([[ran.url, true]]);
      const hits = server.hits.get(`/${page}`);
      const other = await execa(
        process.execPath,
        [
          ...nodeScript(CHILD),
          JSON.stringify({ root: dir, overrides: { ...overrides, subscriptions: [ran, fresh] } }),
        ],
        { reject: false, all: true, env: clockOffsetEnv(offset) },
      );
      expect(other.exitCode, String(other.all)).toBe(0);
      expect(JSON.parse(other.stdout)).toEqual([fresh.url]);
      expect(server.hits.get(`/${page}`)).toBe(hits);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
