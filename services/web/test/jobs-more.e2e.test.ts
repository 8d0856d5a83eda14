// The overview's jobs card lists the newest 100 jobs, and said nothing of the rest: 130 waiting jobs looked
// like 100. It now says how many there are and how to list them all, as the library card and `imk jobs`
// do (the count is the snapshot's jobsTotal). Real headless Chromium against `imk up`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishManyUnsynced } from '../../../packages/fsqueue/test/helpers.ts';
import { startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const JOBS = 130;

let root: string;
let browser: ImkUpPage;
let page: Page;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-jobs-more-'));
  await publishManyUnsynced(
    join(root, 'queues', 'other'),
    Array.from({ length: JOBS }, (_, i) => `waiting_${i}`),
  );
  browser = await startImkUpPage(root, 'web', 'imk-up-jobs-more.log');
  ({ page } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe("the overview's jobs card cut to the newest 100", () => {
  it('says how many jobs there are and how to list them all', async () => {
    await page.goto(browser.url);
    const rows = page.locator('#jobs-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(100);
    const more = page.locator('#jobs-more');
    expect(await more.isVisible()).toBe(true);
    expect(await more.textContent()).toBe(
      `the newest 100 of ${JOBS} jobs; imk jobs --limit ${JOBS} lists them all`,
    );
    expect(browser.pageErrors).toEqual([]);
  });
});
