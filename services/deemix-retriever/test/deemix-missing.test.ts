import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { within } from '@imk/fs-safe/testing';
import { startDeemixRetriever } from '../src/index.ts';
import { ARL, capturingLogger, deemixFixtures, setup, waitFor } from './deemix-kit.ts';

deemixFixtures();

describe('deemix missing, for a user who may never send a Deezer link', () => {
  it('is not an error line at every start; a Deezer request then fails saying deemix is missing and where to set it', async () => {
    const { root } = await setup();
    process.env.IMK_DEEMIX_ARL = ARL;
    const requests = join(root, 'requests', 'deezer');
    const controller = new AbortController();
    const { logger, lines } = capturingLogger();
    const missing = join(root, 'no-such-deemix');
    // The folder is there before the start, so nothing at the start can be about it.
    await mkdir(requests, { recursive: true });
    const running = startDeemixRetriever({
      root,
      logger,
      signal: controller.signal,
      overrides: { deemixPath: missing, pollIntervalMs: 100 },
    });
    try {
      // A first look at the (empty) requests folder has passed: the start is over.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const loud = () =>
        lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((l) => l.level >= 40);
      expect(loud()).toEqual([]);
      await writeFile(join(requests, 'song.deezer'), 'https://www.deezer.com/track/555\n');
      await waitFor(
        'song.fail.reason in requests/deezer',
        async () => (await readdir(requests)).includes('song.fail.reason'),
        async () => `requests/deezer holds: ${(await readdir(requests)).join(', ') || 'nothing'}`,
      );
      const reason = await readFile(join(requests, 'song.fail.reason'), 'utf8');
      expect(reason).toContain('deemix');
      expect(reason).toContain('deemixPath');
      expect(loud().length).toBeGreaterThan(0);
    } finally {
      controller.abort();
      await within(running, 60_000, 'the deemix retriever to stop once its signal was aborted');
      delete process.env.IMK_DEEMIX_ARL;
    }
  });
});
