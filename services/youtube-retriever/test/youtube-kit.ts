// What the tests of the YouTube retriever with the real yt-dlp share: a loopback server of generated media
// (one per test file), a root per test, and the retriever run on a root's request folder.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '@imk/log';
import { JobSchema, type Job } from '@imk/protocol';
import { within } from '@imk/fs-safe/testing';
import { loadYoutubeSettings, startYoutubeRetriever, type YoutubeConfig } from '../src/index.ts';
import { generateMedia, startMediaServer, type MediaServer } from './media-server.ts';

// The real yt-dlp (Debian's package) against a loopback server; its generic extractor reports no duration.
export const logger = createLogger('test', { level: 'silent' });

/** The file's media server (started before its tests, stopped after) and a new root per call of setup. */
export function youtubeTestKit(): {
  readonly server: MediaServer;
  setup: (
    overrides?: Partial<YoutubeConfig>,
  ) => Promise<{ root: string; settings: Awaited<ReturnType<typeof loadYoutubeSettings>> }>;
} {
  let mediaDir = '';
  let server: MediaServer | undefined;
  const roots: string[] = [];
  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'imk-yt-media-'));
    await generateMedia(mediaDir);
    server = await startMediaServer(mediaDir);
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([mediaDir, ...roots].map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return {
    get server() {
      if (server === undefined) throw new Error('the media server starts before the tests');
      return server;
    },
    async setup(overrides = {}) {
      const root = await mkdtemp(join(tmpdir(), 'imk-yt-root-'));
      roots.push(root);
      const settings = await loadYoutubeSettings(root, {
        retries: { attempts: 3, backoffMs: 200, maxBackoffMs: 1000, ytDlpRetries: 3 },
        ...overrides,
      });
      return { root, settings };
    },
  };
}

export async function readJob(dir: string): Promise<Job> {
  return JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
}

/**
 * Runs the retriever (request folder polled every 100 ms, one try per link) on root's requests/youtube/
 * until `handled` says what that folder holds is all handled; then stops it.
 */
export async function runUntilHandled(root: string, handled: (names: string[]) => boolean): Promise<void> {
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
