// What a subscription's last run said without failing (a YouTube Mix among a channel's playlists not
// fetched, a list nested deeper not followed) is in its status file (`warnings`) and its log line; the
// dashboard's subscriptions table showed only failures, so a channel whose Mixes were skipped looked as if
// everything was fetched. Real headless Chromium against the dashboard, at a phone's width too: the notes
// name links (one long word) and must wrap, not widen the page.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeSubscriptionStatus } from '@imk/retriever-sdk';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { openChromium, quietLogger, tempRoot } from './helpers.ts';

const CHANNEL = 'https://www.youtube.com/@somechannel/playlists';
const MIX = `${CHANNEL}: a YouTube Mix among its playlists was not fetched (https://www.youtube.com/playlist?list=RDCLAK5uy_kmPRjHDECIcuVwnKsx2Ng7fyNgFKWNJFs (list=RDCLAK5uy_kmPRjHDECIcuVwnKsx2Ng7fyNgFKWNJFs)): a Mix has no end and is made up anew at every visit; add a playlist (list=PL…) instead`;
const NESTED = `${CHANNEL}: a list inside its playlists was not followed (only the videos of its playlists are fetched: lists are followed one level deep)`;

let web: RunningWeb;
let stop: AbortController;
let cleanup: () => Promise<void>;
let browser: Awaited<ReturnType<typeof openChromium>> | undefined;
let page: Page;

beforeAll(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot('imk-web-subscription-warnings-'));
  await writeSubscriptionStatus(join(root, 'state'), {
    id: 'a1b2c3d4e5f6',
    url: CHANNEL,
    last_run_at: new Date().toISOString(),
    ok: true,
    fetched: ['yt_one', 'yt_two'],
    failed: [],
    warnings: [MIX, NESTED],
  });
  stop = new AbortController();
  web = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    cleanupSchedule: false,
    overrides: { port: 0 },
  });
  browser = await openChromium('imk-subscription-warnings-chromium-');
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  stop?.abort();
  await web?.closed;
  await cleanup?.();
});

describe("the dashboard's subscriptions table", () => {
  it('shows what the last run said without failing, whole, one note a line, wrapped on a phone', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.setViewportSize({ width: 390, height: 900 });
    await page.goto(`${web.url}/`);
    const row = page.locator('#subscriptions-table tr[data-subscription="a1b2c3d4e5f6"]');
    const notes = row.locator('[data-warning]');
    await expect.poll(() => notes.allTextContents(), { timeout: 30_000 }).toEqual([MIX, NESTED]);
    // A run that read the list: no problem shown, and the fetched count beside the notes.
    expect(await row.locator('.note.error').count()).toBe(0);
    expect(await row.locator('td').nth(3).textContent()).toBe('2');
    // Each note on a line of its own, and the long links wrap inside the card.
    // In the page (a string: this project's TypeScript has no DOM library): each note's top and bottom.
    const [first, second] = await page.evaluate<{ top: number; bottom: number }[]>(
      `[...document.querySelectorAll('#subscriptions-table [data-warning]')].map((note) => { const box = note.getBoundingClientRect(); return { top: box.top, bottom: box.bottom }; })`,
    );
    expect(second!.top).toBeGreaterThanOrEqual(first!.bottom - 1);
    expect(
      await page.evaluate('document.documentElement.scrollWidth <= innerWidth'),
      'the page is wider than the phone',
    ).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
