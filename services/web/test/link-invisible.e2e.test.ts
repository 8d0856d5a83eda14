// A link pasted into the dashboard with an invisible character in front (a zero-width space from a chat
// app, a left-to-right mark from right-to-left text): the browser's check of the type=url field said
// "Please enter a URL." of a link that looked right, and neither "Add a song" nor a subscription was sent.
// Real headless Chromium against the dashboard; the song's request is answered by the test (this test
// looks at what the page sends, the retriever's side is packages/retriever-sdk/test/link-invisible.test.ts).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { openChromium, quietLogger, tempRoot } from './helpers.ts';

const SONG = 'https://youtu.be/dQw4w9WgXcQ?si=abc';
const CHANNEL = 'https://www.youtube.com/@SomeChannel/videos';

let web: RunningWeb;
let stop: AbortController;
let cleanup: () => Promise<void>;
let browser: Awaited<ReturnType<typeof openChromium>> | undefined;
let page: Page;

beforeAll(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot('imk-web-link-invisible-'));
  stop = new AbortController();
  web = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    cleanupSchedule: false,
    overrides: { port: 0 },
  });
  browser = await openChromium('imk-link-invisible-chromium-');
  page = browser.page;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  stop?.abort();
  await web?.closed;
  await cleanup?.();
});

describe('a link pasted into the dashboard with an invisible character around it', () => {
  it('"Add a song" sends the link itself', async () => {
    const sent: unknown[] = [];
    await page.route('**/api/requests', async (route) => {
      sent.push(route.request().postDataJSON());
      await route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          job_ids: ['yt_dQw4w9WgXcQ_audio'],
          jobs: [],
          skipped: [],
          failures: [],
          warnings: [],
        }),
      });
    });
    await page.goto(`${web.url}/`);
    for (const text of [`\u200b${SONG}`, `\u200e${SONG}\u200b`, ` \ufeff${SONG}\u2060 `]) {
      await page.fill('#url-input', text);
      await page.click('#submit-url');
      await expect.poll(() => sent.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect(sent.pop()).toMatchObject({ url: SONG });
      await expect.poll(() => page.textContent('#submit-result')).toBe('Queued: yt_dQw4w9WgXcQ_audio');
      await page.evaluate(`document.getElementById('submit-result').textContent = ''`);
    }
  }, 60_000);

  it('a subscription is added under the link itself', async () => {
    await page.goto(`${web.url}/`);
    await page.fill('#subscription-url', `\u200e${CHANNEL}\u200b`);
    await page.press('#subscription-url', 'Enter');
    await expect
      .poll(() => page.textContent('#subscription-result'), { timeout: 10_000 })
      .toMatch(/^Subscribed/);
    await expect
      .poll(() => page.locator('#subscriptions-table td.song').allTextContents(), { timeout: 10_000 })
      .toEqual([expect.stringMatching(new RegExp(`^${CHANNEL.replaceAll('.', '\\.')}`))]);
  }, 60_000);
});
