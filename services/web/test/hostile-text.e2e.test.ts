// Song tags are untrusted text (a video's title, a file's tags), and the dashboard shows them next to its
// own words. In real headless Chromium: an artist holding U+202E (RIGHT-TO-LEFT OVERRIDE) drew the job id
// after it backwards ("yt_bidi_song" read "gnos_idib_ty"), in the jobs list and on the job page; and a
// title of one 400-letter word made the jobs table 5,000-6,000 px wider than its card, so its stage, queue
// and time columns were off the card (scrolled sideways) on every screen.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { openChromium, servedTempRoot } from './helpers.ts';

const BIDI_ID = 'yt_bidi_song';
const LONG_ID = 'yt_long_word';

const served = servedTempRoot();
let browser: Awaited<ReturnType<typeof openChromium>> | undefined;
let page: Page;

beforeAll(async () => {
  const ledger = openLedger({ root: served.root });
  ledger.recordState(
    BIDI_ID,
    { state: 'failed', attempt: 1 },
    { queue: 'youtube_audio', title: 'Title \u202Eesrever', artist: 'Artist \u202Eesrever' },
  );
  ledger.recordState(
    LONG_ID,
    { state: 'failed', attempt: 1 },
    { queue: 'youtube_audio', title: `<b>${'W'.repeat(400)}</b>`, artist: 'A' },
  );
  ledger.close();
  browser = await openChromium('imk-hostile-text-chromium-');
  page = browser.page;
}, 120_000);

afterAll(() => browser?.close());

/**
 * Whether the first occurrence of `text` under `selector` is drawn left to right: its first letter left of
 * its last. Runs in the page (a string: this project's TypeScript has no DOM library).
 */
const drawnLeftToRight = (selector: string, text: string) => `(() => {
  const root = document.querySelector(${JSON.stringify(selector)});
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(${JSON.stringify(text)});
    if (at < 0) continue;
    const box = (from) => {
      const range = document.createRange();
      range.setStart(node, from);
      range.setEnd(node, from + 1);
      return range.getBoundingClientRect();
    };
    return box(at).left < box(at + ${text.length - 1}).left;
  }
  return 'not found';
})()`;

/**
 * How much wider than its card the jobs table is with the long title's row, beyond what it is without it
 * (0: the long word adds nothing; on a phone the table may scroll inside its card as it always did).
 */
const LONG_ROW_WIDENS = `(() => {
  const table = document.querySelector('#jobs-table');
  const card = table.closest('.card');
  const overflow = () => Math.max(0, table.getBoundingClientRect().width - card.clientWidth);
  const withIt = overflow();
  const row = table.querySelector('tr[data-job-id="${LONG_ID}"]');
  const next = row.nextSibling;
  row.remove();
  const without = overflow();
  table.querySelector('tbody').insertBefore(row, next);
  return Math.round(withIt - without);
})()`;

describe('untrusted song tags on the dashboard', () => {
  it("do not turn the dashboard's own text around, nor push the job list off its card", async () => {
    const seen: Record<string, unknown> = {};
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${served.web.url}/`);
      await page.locator(`#jobs-table tr[data-job-id="${LONG_ID}"]`).waitFor({ timeout: 30_000 });
      await page.locator(`#jobs-table tr[data-job-id="${BIDI_ID}"]`).waitFor({ timeout: 30_000 });
      seen[`job id in the list at ${width} px`] = await page.evaluate(
        drawnLeftToRight(`#jobs-table tr[data-job-id="${BIDI_ID}"] small`, BIDI_ID),
      );
      seen[`width the long title adds at ${width} px`] = await page.evaluate<number>(LONG_ROW_WIDENS);
      // The markup in the title is shown as text, never made into elements.
      expect(await page.locator(`#jobs-table tr[data-job-id="${LONG_ID}"] b`).count()).toBe(0);

      await page.goto(`${served.web.url}/#/job/${BIDI_ID}`);
      await expect
        .poll(() => page.locator('#job-meta').textContent(), { timeout: 30_000 })
        .toContain(BIDI_ID);
      seen[`job id on its page at ${width} px`] = await page.evaluate(drawnLeftToRight('#job-meta', BIDI_ID));
    }
    expect(seen).toEqual({
      'job id in the list at 390 px': true,
      'width the long title adds at 390 px': 0,
      'job id on its page at 390 px': true,
      'job id in the list at 1280 px': true,
      'width the long title adds at 1280 px': 0,
      'job id on its page at 1280 px': true,
    });
  }, 120_000);
});
