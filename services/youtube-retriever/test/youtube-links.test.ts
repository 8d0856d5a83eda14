import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  addDashboardSubscription,
  readDashboardSubscriptions,
  subscriptionPaths,
  youtubeList,
} from '@imk/retriever-sdk';
import { fetchYoutube, loadYoutubeSettings, runDueSubscriptions } from '../src/index.ts';
import { capturingLogger } from '@imk/log/testing';
import { logger, youtubeTestKit } from './youtube-kit.ts';

// A YouTube Mix or radio (list=RD…) is a list YouTube makes up at each visit, without end. A link copied
// while one plays fetched playlist.maxEntries (200) songs nobody chose, and a subscription to one fetched
// other songs at every run. YouTube cannot be reached from the tests: yt-dlp is the real one, run through a
// wrapper that records the arguments it is given and points it at a loopback file instead of youtube.com.
const media = youtubeTestKit();

const MIX_WATCH = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ&start_radio=1';
const MIX_LINKS = [
  'https://www.youtube.com/playlist?list=RDdQw4w9WgXcQ',
  MIX_WATCH,
  'https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVMdQw4w9WgXcQ', // a YouTube Music radio
  'https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=RDMM', // "My Mix"
  'https://youtu.be/dQw4w9WgXcQ?list=RDdQw4w9WgXcQ',
];
const LISTS_WITH_AN_END = [
  'https://www.youtube.com/playlist?list=PL0123456789',
  'https://music.youtube.com/playlist?list=RDCLAK5uy_kmPRjHDECIcuVwnKsx2Ng7fyNgFKWNJFs', // YouTube Music's own
  'https://www.youtube.com/@SomeChannel/videos',
  'https://example.com/watch?list=RDabc', // not YouTube
];

/**
 * A yt-dlp that records its arguments, then runs the real one with YouTube links replaced by `instead`;
 * without `instead`, it records them and fails at once, as yt-dlp does for a page it cannot read (for a
 * case that looks only at what yt-dlp is asked: each real start costs a second or more of Python imports).
 */
async function recordingYtDlp(
  dir: string,
  instead?: string,
): Promise<{ path: string; calls: () => Promise<string[][]> }> {
  const real = (await execa('sh', ['-c', 'command -v yt-dlp'])).stdout.trim();
  const record = join(dir, 'calls.txt');
  const path = join(dir, 'yt-dlp');
  await writeFile(
    path,
    `#!/bin/sh
printf '%s\\n' "$*" >> '${record}'
${instead === undefined ? `echo 'ERROR: recorded only, not run' >&2\nexit 1\n` : ''}first=1
for a in "$@"; do
  if [ "$first" = 1 ]; then set --; first=0; fi
  case "$a" in https://www.youtube.com/*) a='${instead ?? ''}';; esac
  set -- "$@" "$a"
done
exec '${real}' "$@"
`,
  );
  await chmod(path, 0o755);
  return {
    path,
    calls: () =>
      readFile(record, 'utf8').then(
        (text) =>
          text
            .trim()
            .split('\n')
            .map((line) => line.split(' ')),
        () => [],
      ),
  };
}

/** A yt-dlp that runs the real one with each YouTube link of `map` replaced by its loopback page. */
async function mappingYtDlp(dir: string, map: Record<string, string>): Promise<string> {
  const real = (await execa('sh', ['-c', 'command -v yt-dlp'])).stdout.trim();
  const path = join(dir, 'yt-dlp-mapped');
  const cases = Object.entries(map)
    .map(([from, to]) => `    '${from}') a='${to}';;`)
    .join('\n');
  await writeFile(
    path,
    `#!/bin/sh
first=1
for a in "$@"; do
  if [ "$first" = 1 ]; then set --; first=0; fi
  case "$a" in
${cases}
  esac
  set -- "$@" "$a"
done
exec '${real}' "$@"
`,
  );
  await chmod(path, 0o755);
  return path;
}

describe('YouTube Mix and radio links', () => {
  it('a subscription to one is refused, in the YAML, from the dashboard and in a hand-edited file, naming the field', async () => {
    const { root } = await media.setup();
    await mkdir(join(root, 'config'), { recursive: true });
    for (const url of MIX_LINKS) {
      await writeFile(
        join(root, 'config', 'youtube-retriever.yaml'),
        `subscriptions:\n  - url: "${url}"\n    every: 6h\n`,
      );
      const said = await loadYoutubeSettings(root).then(
        () => 'accepted',
        (error: unknown) => String(error),
      );
      expect(said, url).toContain(
        'subscriptions.0.url: a YouTube Mix or radio (list=RD…) has no end and is made up anew at every visit, so it cannot be subscribed to: subscribe to the channel',
      );
    }
    await writeFile(join(root, 'config', 'youtube-retriever.yaml'), 'subscriptions: []\n');
    const { stateDir } = await loadYoutubeSettings(root);
    for (const url of MIX_LINKS)
      await expect(addDashboardSubscription(stateDir, { url }), url).rejects.toThrow(
        /cannot be subscribed to/,
      );
    for (const url of LISTS_WITH_AN_END)
      expect((await addDashboardSubscription(stateDir, { url })).added, url).toBe(true);
    // A Mix put into the dashboard's file by hand: the file is refused naming the entry and the reason.
    const file = subscriptionPaths(stateDir).dashboardFile;
    const document = JSON.parse(await readFile(file, 'utf8')) as { subscriptions: object[] };
    document.subscriptions.push({ url: MIX_WATCH, every: '6h', limit: 3, added_at: '2026-01-01T00:00:00Z' });
    await writeFile(file, JSON.stringify(document));
    await expect(readDashboardSubscriptions(stateDir)).rejects.toThrow(
      /subscriptions\.4\.url: a YouTube Mix or radio .* cannot be subscribed to/,
    );
  });

  it('a request for a Mix fetches only the video its link plays, and says so; one without a video is refused before yt-dlp runs', async () => {
    const { root } = await media.setup();
    const wrapper = await recordingYtDlp(root, media.server.url('audio.m4a'));
    const settings = await loadYoutubeSettings(root, {
      ytDlpPath: wrapper.path,
      retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
    });

    const result = await fetchYoutube(MIX_WATCH, { root, logger, settings });
    expect(result.jobs).toHaveLength(1);
    expect(result.warnings).toContain(
      `${MIX_WATCH} is a YouTube Mix (list=RDdQw4w9WgXcQ), which has no end: only its video dQw4w9WgXcQ is fetched, not the songs YouTube would play after it`,
    );
    const listing = (await wrapper.calls()).find((args) => args.includes('--flat-playlist'));
    expect(listing).toContain('--no-playlist');
    expect(listing).not.toContain('--yes-playlist');
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toHaveLength(1);

    const before = (await wrapper.calls()).length;
    await expect(
      fetchYoutube('https://www.youtube.com/playlist?list=RDdQw4w9WgXcQ', { root, logger, settings }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_URL',
      message: expect.stringContaining(
        'is a YouTube Mix or radio (list=RDdQw4w9WgXcQ) without a video: it has no end and is made up anew at every visit, so it is not fetched',
      ) as unknown,
    });
    expect((await wrapper.calls()).length).toBe(before);
  });
});

describe('YouTube channel links', () => {
  it("a channel's own page is listed from its Videos tab, not as its tabs taken for videos", async () => {
    const { root } = await media.setup();
    // What is listed is what yt-dlp is asked for: it is not run (a listing and a download per link before).
    const wrapper = await recordingYtDlp(root);
    const settings = await loadYoutubeSettings(root, {
      ytDlpPath: wrapper.path,
      retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
    });
    const listedAs = async (link: string) => {
      const before = (await wrapper.calls()).length;
      await fetchYoutube(link, { root, logger, settings }).catch(() => undefined);
      return (await wrapper.calls())
        .slice(before)
        .find((args) => args.includes('--flat-playlist'))
        ?.at(-1);
    };
    expect(await listedAs('https://www.youtube.com/@SomeBand')).toBe(
      'https://www.youtube.com/@SomeBand/videos',
    );
    expect(await listedAs('https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv/featured')).toBe(
      'https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv/videos',
    );
    expect(await listedAs('https://m.youtube.com/c/SomeBand/')).toBe(
      'https://m.youtube.com/c/SomeBand/videos',
    );
    // A tab, a playlist, a video: as given.
    for (const link of [
      'https://www.youtube.com/@SomeBand/streams',
      'https://www.youtube.com/playlist?list=PL0123456789',
      'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    ])
      expect(await listedAs(link)).toBe(link);
  });
});

describe("a channel's tabs that list playlists (Playlists, Releases, Podcasts)", () => {
  it('fetches the videos of each playlist the tab lists, not each playlist as one video; a subscription to it too', async () => {
    const { root } = await media.setup();
    const PLAYLISTS = 'https://www.youtube.com/@SomeBand/playlists';
    const [one, two] = [
      'https://www.youtube.com/playlist?list=PLone',
      'https://www.youtube.com/playlist?list=PLtwo',
    ];
    // What yt-dlp lists for the tab: one entry per playlist, each a playlist link (here an RSS feed of them).
    media.server.setPage(
      'tab.xml',
      `<?xml version="1.0"?><rss version="2.0"><channel><title>SomeBand - Playlists</title>${[one, two]
        .map((link, index) => `<item><title>Album ${String(index + 1)}</title><link>${link}</link></item>`)
        .join('')}</channel></rss>`,
    );
    media.server.setPage(
      'album-two.html',
      '<!doctype html><html><head><title>Album Two</title></head><body><audio src="song.m4a" controls></audio></body></html>',
    );
    const ytDlpPath = await mappingYtDlp(root, {
      [PLAYLISTS]: media.server.url('tab.xml'),
      [one]: media.server.url('page.html'), // two songs
      [two]: media.server.url('album-two.html'), // one song
    });
    const settings = await loadYoutubeSettings(root, {
      ytDlpPath,
      retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
    });
    const result = await fetchYoutube(PLAYLISTS, { root, logger, settings, mode: 'audio' });
    expect(result.failures).toEqual([]);
    // Three songs, three jobs (before: two "videos", each a whole playlist downloaded into one job).
    expect(result.jobs).toHaveLength(3);
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toHaveLength(3);

    // A subscription to the tab: the same, and nothing again at its next run.
    const { root: other } = await media.setup();
    const subscribed = await loadYoutubeSettings(other, {
      ytDlpPath,
      retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 },
      subscriptions: [{ url: PLAYLISTS, mode: 'audio', every: '1h', limit: 10 }],
    });
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    const [first] = await runDueSubscriptions({ settings: subscribed, logger, now: new Date(t0) });
    expect(first?.fetched).toHaveLength(3);
    const [again] = await runDueSubscriptions({
      settings: subscribed,
      logger,
      now: new Date(t0 + 2 * 3_600_000),
    });
    expect(again?.fetched).toEqual([]);
    expect(again?.ok).toBe(true);
  });

  // A Mix among a tab's playlists was skipped without a word (the Mix refusal elsewhere says why), and a
  // subscription's status and log kept none of the run's warnings (a list nested deeper than one level was
  // said only to a request). Both are said now, in the result, the subscription's status and its log.
  it('says a YouTube Mix among the playlists, and a list nested deeper, not followed; in a subscription too', async () => {
    const { root } = await media.setup();
    const PLAYLISTS = 'https://www.youtube.com/@SomeBand/playlists';
    const MIX = 'https://www.youtube.com/playlist?list=RDdQw4w9WgXcQ';
    const [one, two] = [
      'https://www.youtube.com/playlist?list=PLone',
      'https://www.youtube.com/playlist?list=PLtwo',
    ];
    const rss = (title: string, links: string[]) =>
      `<?xml version="1.0"?><rss version="2.0"><channel><title>${title}</title>${links
        .map((link, index) => `<item><title>Item ${String(index + 1)}</title><link>${link}</link></item>`)
        .join('')}</channel></rss>`;
    media.server.setPage('tab.xml', rss('SomeBand - Playlists', [one, MIX, two]));
    // The second playlist holds a playlist: two levels down from the tab.
    media.server.setPage('nested.xml', rss('Album Two', ['https://www.youtube.com/playlist?list=PLthree']));
    const ytDlpPath = await mappingYtDlp(root, {
      [PLAYLISTS]: media.server.url('tab.xml'),
      [one]: media.server.url('page.html'), // two songs
      [two]: media.server.url('nested.xml'),
      [MIX]: media.server.url('page.html'),
    });
    const retries = { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 1 };
    const settings = await loadYoutubeSettings(root, { ytDlpPath, retries });
    const result = await fetchYoutube(PLAYLISTS, { root, logger, settings, mode: 'audio' });
    expect(result.failures).toEqual([]);
    expect(result.jobs).toHaveLength(2);
    const said = [
      expect.stringMatching(
        /a YouTube Mix among its playlists was not fetched \(.*list=RDdQw4w9WgXcQ.*\): a Mix has no end/,
      ),
      expect.stringContaining('a list inside its playlists was not followed'),
    ];
    expect(result.warnings).toEqual(said);

    const { root: other } = await media.setup();
    const subscribed = await loadYoutubeSettings(other, {
      ytDlpPath,
      retries,
      subscriptions: [{ url: PLAYLISTS, mode: 'audio', every: '1h', limit: 10 }],
    });
    const { logger: captured, lines } = capturingLogger();
    const [run] = await runDueSubscriptions({ settings: subscribed, logger: captured, now: new Date() });
    expect(run).toMatchObject({ ok: true, warnings: said });
    expect(run?.fetched).toHaveLength(2);
    const checked = lines().find((line) => String(line.msg).startsWith('subscription checked'));
    expect(checked).toMatchObject({ warnings: said });
    expect(String(checked?.msg)).toContain('list=RDdQw4w9WgXcQ');
  });

  it('tells lists from videos among YouTube links', () => {
    for (const link of [
      'https://www.youtube.com/playlist?list=PL0123456789',
      'https://music.youtube.com/playlist?list=OLAK5uy_abc', // an album of the Releases tab
      'https://www.youtube.com/@SomeBand/playlists',
      'https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv/releases',
      'https://www.youtube.com/@SomeBand',
    ])
      expect(youtubeList(link), link).toBe(true);
    for (const link of [
      'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      'https://www.youtube.com/shorts/dQw4w9WgXcQ', // what the Shorts tab lists: videos
      'https://youtu.be/dQw4w9WgXcQ',
      'https://www.youtube.com/playlist?list=RDdQw4w9WgXcQ', // a Mix: never listed
      'https://example.com/@SomeBand/playlists',
    ])
      expect(youtubeList(link), link).toBe(false);
  });
});
