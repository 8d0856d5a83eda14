// A library of the earlier version moved in whole: hundreds of finished outputs. The dashboard's library card
// showed the newest 50 of what GET /api/outputs gave (200 at most) and nothing said the rest existed. Now
// the card says how many songs there are and "show all" lists every one; GET /api/outputs?limit=all gives
// them all (without ?limit the newest 200, as before). Real headless Chromium against `imk up`.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLegacyLibrary } from '@imk/media/legacy-samples';
import { ARTIFACTS, startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const SONGS = 230;

let root: string;
let browser: ImkUpPage;
let url: string;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-legacy-library-'));
  await writeLegacyLibrary(join(root, 'outputs'), SONGS);
  browser = await startImkUpPage(root, 'web', 'imk-up-legacy-library.log');
  ({ url, page, pageErrors } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the dashboard over a big library of the earlier version', () => {
  it('says how many songs there are and lists every one on "show all"', async () => {
    await page.goto(url);
    const rows = page.locator('#outputs-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(50);
    const more = page.locator('#outputs-more');
    expect(await more.isVisible()).toBe(true);
    expect(await more.textContent()).toBe(`the newest 50 of ${SONGS} songs in outputs/ show all ${SONGS}`);
    await page.locator('#outputs-show-all').click();
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(SONGS);
    expect(await more.isVisible()).toBe(false);
    const ids = await Promise.all(
      Array.from({ length: SONGS }, (_, i) => rows.nth(i).getAttribute('data-output-id')),
    );
    expect(new Set(ids).size).toBe(SONGS);

    // The API: all with ?limit=all, the newest 200 without a limit (as before), N with ?limit=N.
    const count = (query: string) =>
      page.evaluate(
        async (q) => ((await (await fetch(`/api/outputs${q}`)).json()) as unknown[]).length,
        query,
      );
    expect(await count('?limit=all')).toBe(SONGS);
    expect(await count('')).toBe(200);
    expect(await count('?limit=7')).toBe(7);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'legacy-library.png'), fullPage: false });
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
