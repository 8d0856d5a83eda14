// A file the worker turned down so that it would not clip says so in its manifest (gain_db), and the job
// page says so beside the file: before, the page listed it like any other, and a user comparing levels
// had no way to know why the instrumental is quieter than the song. Kept stems are turned down together,
// and the page says that too. Real headless Chromium against `imk up` (the web service in a child process).
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOutput } from './helpers.ts';
import { ARTIFACTS, startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const JOB = 'turned_down_job';

let root: string;
let browser: ImkUpPage;
let url: string;
let page: Page;
let pageErrors: string[];

interface ManifestLike {
  artifacts: Record<string, unknown>[];
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-turned-down-'));
  const dir = await makeOutput(root, JOB, { artist: 'Test Artist', title: 'Hot Song' });
  const file = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8')) as ManifestLike;
  const [instrumental, noDrums] = manifest.artifacts;
  noDrums!.gain_db = -2.34;
  // A kept stem, turned down with the others.
  const stem = 'files/stems/Test Artist - Hot Song (drums).m4a';
  await mkdir(dirname(join(dir, stem)), { recursive: true });
  await copyFile(join(dir, String(instrumental!.path)), join(dir, stem));
  manifest.artifacts.push({
    ...instrumental,
    kind: 'stems',
    variant: 'drums',
    label: 'Stem: drums',
    path: stem,
    gain_db: -6.04,
  });
  await writeFile(file, JSON.stringify(manifest, null, 2));
  browser = await startImkUpPage(root, 'web', 'imk-up-turned-down.log');
  ({ url, page, pageErrors } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the job page in headless Chromium', () => {
  it('says which file was turned down to avoid clipping, and by how much', async () => {
    await page.goto(`${url}#/job/${JOB}`);
    await expect.poll(() => page.locator('.variant').count(), { timeout: 30_000 }).toBe(3);
    const note = (variant: string) => page.locator(`.variant[data-variant="${variant}"] .note.gain`);
    expect(await note('no_drums').textContent()).toBe('turned down 2.3 dB to avoid clipping');
    expect(await note('instrumental').count()).toBe(0);
    expect(await note('drums').textContent()).toBe(
      'turned down 6.0 dB to avoid clipping (all kept stems alike, so they still add up to the song)',
    );
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'turned-down.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
