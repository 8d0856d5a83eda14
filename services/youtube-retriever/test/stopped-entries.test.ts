// A yt-dlp started at the very instant of a Ctrl-C is still in imk's process group (from its fork to its
// setsid) and dies by the SIGINT meant for imk, with an error of its own ("killed", "Interrupted by user"),
// not the ABORTED of a stop. The fetch looked at the error's code only: the entry (or the list of a channel's
// Playlists tab) whose yt-dlp died so was recorded as failed, and when it was the last one the fetch ended
// with it among its failures (`imk fetch` said it failed, a subscription recorded it) instead of as stopped.
// Now whatever failed once the stop came ends the fetch as stopped (ABORTED, its error kept as cause).
// The real yt-dlp through a wrapper that, for one link, ends as yt-dlp does when the SIGINT reaches it; the
// stop comes as that run ends (the one Ctrl-C that ended it).
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { baseArgs, createYtDlp, fetchYoutube, type YtDlp } from '../src/index.ts';
import { expandListEntries } from '../src/lists-of-lists.ts';
import type { YtEntry } from '../src/info.ts';
import { linkJobId } from './expected-ids.ts';
import { logger, youtubeTestKit } from './youtube-kit.ts';

const media = youtubeTestKit();

/**
 * yt-dlp that, when its arguments hold `dies`, ends as yt-dlp does when the SIGINT reaches it (it says
 * "Interrupted by user" and exits 1), and the stop that comes as that run ends.
 */
async function ytDlpKilledAt(root: string, settings: Parameters<typeof baseArgs>[0], dies: string) {
  const wrapper = join(root, 'yt-dlp-killed');
  await writeFile(
    wrapper,
    `#!/bin/sh\ncase "$*" in *"${dies}"*) echo 'ERROR: Interrupted by user' >&2; exit 1 ;; esac\nexec yt-dlp "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  const real = await createYtDlp({ binary: wrapper, logger, baseArgs: baseArgs(settings) });
  const stop = new AbortController();
  const ytDlp: YtDlp = {
    ...real,
    run: async (args, url, signal) => {
      try {
        return await real.run(args, url, signal);
      } catch (error) {
        stop.abort(new Error('stopped by SIGINT'));
        throw error;
      }
    },
  };
  return { ytDlp, stop };
}

describe('a yt-dlp the Ctrl-C killed', () => {
  it("of a page's last entry: the fetch ends as stopped, not with that entry failed", async () => {
    const { root, settings } = await media.setup();
    // The page's second entry is downloaded as its playlist's item 2.
    const { ytDlp, stop } = await ytDlpKilledAt(root, settings, '--playlist-items 2');
    const fetched = fetchYoutube(media.server.url('page.html'), {
      root,
      logger,
      settings,
      ytDlp,
      signal: stop.signal,
    });
    const error = await fetched.then(
      (result) => new Error(`not stopped: ${JSON.stringify(result.failures)}`),
      (error: unknown) => error,
    );
    expect(isImkError(error, 'ABORTED'), String(error)).toBe(true);
    expect(stop.signal.aborted).toBe(true);
    // The entry before it was published before the stop: it stays queued.
    const first = linkJobId('html5mediaembed', 'page-1', media.server.url('audio.m4a'), 'audio');
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toEqual([`job_${first}`]);
  }, 60_000);

  it("listing the last playlist of a channel's Playlists tab: no list is recorded as failed", async () => {
    const { root, settings } = await media.setup();
    const { ytDlp, stop } = await ytDlpKilledAt(root, settings, 'killed.xspf');
    const list = (url: string): YtEntry => ({
      id: undefined,
      extractor: 'youtubetab',
      key: url,
      url,
      info: { ie_key: 'YoutubeTab' },
    });
    const expanded = expandListEntries([list(media.server.url('killed.xspf'))], {
      list: async (link) => {
        await ytDlp.run(['--dump-single-json', '--flat-playlist'], link, stop.signal);
        return [];
      },
      maxEntries: 10,
      logger,
      shown: media.server.url('playlists'),
      signal: stop.signal,
    });
    const error = await expanded.then(
      (result) => new Error(`not stopped: ${JSON.stringify(result.failures)}`),
      (error: unknown) => error,
    );
    expect(isImkError(error, 'ABORTED'), String(error)).toBe(true);
  }, 60_000);
});
