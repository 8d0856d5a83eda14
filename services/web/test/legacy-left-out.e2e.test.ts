// An output of the earlier version with one artifact without a path and a file deleted from its folder:
// before, the one bad artifact made its manifest invalid and the job page had no outputs; a deleted file
// was offered with a player and a download link that answered 404. Now the page lists the good files, says
// which one is missing, and names the artifact left out of manifest.json. Real headless Chromium against
// `imk up` (the web service in a child process).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { ARTIFACTS, startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const JOB = 'pyout_audio_001';

let root: string;
let browser: ImkUpPage;
let url: string;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-legacy-left-out-'));
  const dir = join(root, 'outputs', JOB);
  await materializeLegacySample(`outputs/${JOB}`, dir);
  const file = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as { artifacts: { path: unknown }[] };
  manifest.artifacts[4]!.path = null; // stems, drums
  await writeFile(file, JSON.stringify(manifest, null, 2));
  await rm(join(dir, 'files/stems/other.wav'));
  browser = await startImkUpPage(root, 'web', 'imk-up-legacy-left-out.log');
  ({ url, page, pageErrors } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the job page of an earlier-version output with an unusable artifact and a missing file', () => {
  it('lists the good files, marks the missing one, and names the one left out', async () => {
    await page.goto(`${url}#/job/${JOB}`);
    await expect.poll(() => page.locator('.variant').count(), { timeout: 30_000 }).toBe(6);
    const other = page.locator('.variant[data-variant="other"]');
    expect(await other.locator('.note.missing').textContent()).toBe(
      'missing: listed in manifest.json but not in its job folder',
    );
    expect(await other.locator('audio, a[download]').count()).toBe(0);
    expect(await page.locator('.variant[data-variant="bass"] audio').count()).toBe(1);
    expect(await page.locator('#left-out').isVisible()).toBe(true);
    expect(await page.locator('#left-out li').allTextContents()).toEqual([
      'manifest.json: artifacts[4].path: Invalid input: expected string, received null; artifact 4 (stems, drums) is left out (not listed as a file, never synced)',
    ]);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'legacy-left-out.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
