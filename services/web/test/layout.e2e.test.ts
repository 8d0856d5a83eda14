// The dashboard on a phone, a tablet and a desktop, in real headless Chromium: nothing runs off the side of
// the screen, and every field and list shows what it holds. Before: on a 390-px phone the job and queue
// tables widened the page to 567 px (a grid track of `1fr` grows to its widest table), the subscription
// link field was squeezed to 0 px and its mode select to its arrow, at every width.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeOutput, openChromium, quietLogger, tempRoot } from './helpers.ts';

let web: RunningWeb;
let stop: AbortController;
let cleanup: () => Promise<void>;
let browser: Awaited<ReturnType<typeof openChromium>> | undefined;
let page: Page;

beforeAll(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot('imk-web-layout-'));
  await makeOutput(root, 'yt_layout_song', {
    artist: 'A Band With A Rather Long Name',
    title: 'A Song Whose Title Goes On',
  });
  const ledger = openLedger({ root });
  ledger.recordState(
    'yt_layout_song',
    { state: 'succeeded', attempt: 1 },
    { queue: 'youtube', title: 'A Song Whose Title Goes On' },
  );
  ledger.close();
  stop = new AbortController();
  web = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    cleanupSchedule: false,
    overrides: { port: 0 },
  });
  browser = await openChromium('imk-layout-chromium-');
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  stop?.abort();
  await web?.closed;
  await cleanup?.();
});

/**
 * What does not fit on the page as shown: the page's own sideways overflow, and each visible field whose
 * value (a select's chosen option; an empty field's placeholder) is wider than the room inside it. Runs in
 * the page (a string: this project's TypeScript has no DOM library).
 */
const NOT_FITTING = `(() => {
  const problems = [];
  if (document.documentElement.scrollWidth > innerWidth)
    problems.push('the page is ' + document.documentElement.scrollWidth + ' px wide on a ' + innerWidth + '-px screen');
  const measure = document.createElement('canvas').getContext('2d');
  const fields = document.querySelectorAll('select, input[type=url], input[type=text], input[type=number], input[type=password]');
  for (const field of fields) {
    if (field.offsetParent === null) continue;
    const style = getComputedStyle(field);
    measure.font = style.font;
    const isSelect = field.tagName === 'SELECT';
    const text = isSelect ? (field.selectedOptions[0]?.text ?? '') : field.value || field.placeholder;
    // A select's arrow takes about 20 px of its content box.
    const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - (isSelect ? 20 : 0);
    const needs = measure.measureText(text).width;
    if (needs > room)
      problems.push('#' + field.id + ' shows "' + text + '" in ' + Math.round(room) + ' px; it needs ' + Math.ceil(needs));
  }
  return problems;
})()`;

describe('the dashboard at the widths people use it', () => {
  it('fits a phone, a tablet and a desktop: no sideways scrolling, every field shows what it holds', async () => {
    const seen: Record<string, string[]> = {};
    for (const width of [390, 800, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${web.url}/`);
      // Laid out with its data: the job's row and the queues are in.
      await page.locator('#jobs-table tr[data-job-id="yt_layout_song"]').waitFor({ timeout: 30_000 });
      await expect.poll(() => page.locator('#queues-table tbody tr').count(), { timeout: 30_000 }).toBe(3);
      seen[`overview at ${width} px`] = await page.evaluate<string[]>(NOT_FITTING);

      await page.goto(`${web.url}/#/job/yt_layout_song`);
      await page.locator('#variants .variant audio').first().waitFor({ timeout: 30_000 });
      seen[`job page at ${width} px`] = await page.evaluate<string[]>(NOT_FITTING);
    }
    expect(seen).toEqual({
      'overview at 390 px': [],
      'job page at 390 px': [],
      'overview at 800 px': [],
      'job page at 800 px': [],
      'overview at 1280 px': [],
      'job page at 1280 px': [],
    });
  }, 120_000);
});
