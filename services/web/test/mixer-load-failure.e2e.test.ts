// The mixer when its stems go away while the page loads them, in real headless Chromium against `imk up`
// (the web service in a real child process). The page has been told the stems are there; before its
// requests for them reach the server, retention (`imk cleanup`) removes the cache entry, so the real
// server answers them 410. The page must then say the stems are gone and offer to separate again, as it
// does when they were gone from the start, not show "loading the stems…" for ever. The browser only holds
// the stem requests back for a moment (page.route, then continue): every answer comes from the server.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWavWriter } from '@imk/media';
import { STEM_NAMES, stemCacheKey } from '@imk/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOutput } from './helpers.ts';
import { startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const RATE = 44100;
const JOB = 'mixer_gone_1';
const ENGINE = { name: 'builtin', version: '1', params: {} };
// makeOutput's manifest names this input.
const SHA = 'a'.repeat(64);

let root: string;
let browser: ImkUpPage;
let url: string;
let page: Page;
let entry: string;

/** One second of a tone per stem, stored the way the worker stores a stem cache entry (meta.json last). */
async function cacheStems(): Promise<void> {
  const key = stemCacheKey({ inputSha256: SHA, engine: ENGINE });
  entry = join(root, 'state', 'cache', 'stems', key);
  await mkdir(entry, { recursive: true });
  const bytes: Record<string, number> = {};
  for (const stem of STEM_NAMES) {
    const tone = Float32Array.from(
      { length: RATE },
      (_, i) => 0.2 * Math.sin((2 * Math.PI * 440 * i) / RATE),
    );
    const writer = createWavWriter(join(entry, `${stem}.wav`), { sampleRate: RATE, channels: 2 });
    await writer.write([tone, tone]);
    await writer.close();
    bytes[stem] = (await stat(join(entry, `${stem}.wav`))).size;
  }
  await writeFile(
    join(entry, 'meta.json'),
    JSON.stringify({ key, input_sha256: SHA, engine: ENGINE, sample_rate: RATE, frames: RATE, bytes }),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-mixer-gone-'));
  await mkdir(join(root, 'config'), { recursive: true });
  await makeOutput(root, JOB, { artist: 'Test Artist', title: 'Gone Song' }, ENGINE);
  await cacheStems();
  browser = await startImkUpPage(root, 'web', 'imk-up-mixer-gone.log');
  ({ url, page } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('the mixer when the stems go away while it loads them', () => {
  it('says they are gone and offers "Separate again" instead of loading for ever', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked: () => void = () => undefined;
    const requested = new Promise<void>((resolve) => (asked = resolve));
    await page.route('**/api/jobs/*/stems/*', async (route) => {
      asked();
      await held;
      await route.continue();
    });
    await page.goto(`${url}#/job/${JOB}`);
    await requested;
    await rm(entry, { recursive: true });
    release();

    await page.locator('.mixer-missing').waitFor({ timeout: 20_000 });
    expect(await page.locator('.mixer-missing').textContent()).toContain('no longer in the stem cache');
    expect(await page.locator('#mixer').textContent()).not.toContain('loading the stems');
    expect(await page.locator('.mixer-stem').count()).toBe(0);
    await page.unroute('**/api/jobs/*/stems/*');
  }, 120_000);

  it('a stem the browser cannot decode: the page says so and "Try again" loads the mixer once it is fixed', async () => {
    await cacheStems();
    // A damaged cache file of the right size (a disk error): served, but not audio.
    const vocals = join(entry, 'vocals.wav');
    const good = await readFile(vocals);
    await writeFile(vocals, Buffer.alloc(good.length, 7));
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-load-failed').waitFor({ timeout: 20_000 });
    expect(await page.locator('.mixer-load-failed').textContent()).toContain('could not be loaded');

    await writeFile(vocals, good);
    await page.locator('.mixer-retry').click();
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 20_000 });
    expect(await page.locator('.mixer-load-failed').count()).toBe(0);
  }, 120_000);

  // The mixer asked once: an answer of "no stems" that was only a moment's (the page opened while a mix of
  // the job was being saved, its outputs folder being replaced) said "cannot mix" until the page was
  // reloaded. The page's refresh (every 4 s) asks again, and the mixer opens once the stems are there.
  it('a mixer told there are no stems asks again at the next refresh, and opens once they are there', async () => {
    await rm(entry, { recursive: true });
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-missing').waitFor({ timeout: 20_000 });
    await cacheStems();
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 20_000 });
    expect(await page.locator('.mixer-missing').count()).toBe(0);
  }, 120_000);
});
