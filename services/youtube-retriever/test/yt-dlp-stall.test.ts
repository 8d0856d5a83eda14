import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { createYtDlp, fetchYoutube, loadYoutubeSettings } from '../src/index.ts';

// A yt-dlp that hangs without closing its connection (--socket-timeout only ends a silent socket) kept
// `imk fetch` and the retriever's request waiting for ever, with no word. A run with no output and nothing
// growing in its download folder for stallTimeoutSec is stopped now, its whole process group, and its link
// fails YT_DLP_STALLED naming it; a download that writes nothing but grows its file is left to finish.
const logger = createLogger('test', { level: 'silent' });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-yt-stall-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The processes whose command line holds `marker`. */
async function processesWith(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(join('/proc', pid, 'cmdline'), 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(pid);
  }
  return found;
}

/** A fake yt-dlp running `body` (bash); `$MARK` is a word only its processes have on their command line. */
async function fakeYtDlp(body: string): Promise<{ path: string; mark: string }> {
  const mark = `imk-stall-${randomUUID()}`;
  const path = join(dir, `${mark}.sh`);
  await writeFile(path, `#!/bin/bash\nMARK=${mark}\n${body}\n`);
  await chmod(path, 0o755);
  return { path, mark };
}

describe('a yt-dlp that makes no progress', () => {
  it('imk fetch: one that prints nothing and hangs (its child too) is stopped and the link fails, named', async () => {
    // It starts a child of its own (as yt-dlp starts ffmpeg): the whole group must end.
    const fake = await fakeYtDlp("bash -c 'sleep 3600; true' $MARK &\nwait");
    const root = await mkdtemp(join(dir, 'root-'));
    const settings = await loadYoutubeSettings(root, {
      ytDlpPath: fake.path,
      stallTimeoutSec: 1,
      retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, ytDlpRetries: 0 },
    });
    const url = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';
    const started = performance.now();
    const error = await fetchYoutube(url, { root, logger, settings }).catch((e: unknown) => e);
    expect(isImkError(error, 'YT_DLP_STALLED'), String(error)).toBe(true);
    expect((error as Error).message).toContain(`yt-dlp made no progress on ${url}`);
    expect(performance.now() - started).toBeLessThan(15_000);
    await expect.poll(() => processesWith(fake.mark), { timeout: 10_000 }).toEqual([]);
  }, 30_000);

  it('a download that prints nothing but grows its file is left to finish; one whose file stops growing is stopped', async () => {
    const work = join(dir, 'work');
    await mkdir(work);
    const grows = await fakeYtDlp(
      'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo -n xxxx >> "$WORK/media.m4a.part"; sleep 0.25; done\necho \'{"id":"x"}\'',
    );
    const ytDlp = await createYtDlp({ binary: grows.path, logger, stallMs: 1000 });
    process.env.WORK = work;
    try {
      // Three seconds of growth, without a word, against a one-second bound.
      await expect(ytDlp.run([], 'https://example.com/v', undefined, work)).resolves.toContain('"id"');
      const stops = await fakeYtDlp(
        `echo -n xxxx >> "$WORK/media.m4a.part"; bash -c 'sleep 3600; true' $MARK &\nwait`,
      );
      const stalled = await createYtDlp({ binary: stops.path, logger, stallMs: 1000 });
      await expect(stalled.run([], 'https://example.com/v', undefined, work)).rejects.toMatchObject({
        code: 'YT_DLP_STALLED',
      });
      await expect.poll(() => processesWith(stops.mark), { timeout: 10_000 }).toEqual([]);
    } finally {
      delete process.env.WORK;
    }
  }, 30_000);
});
