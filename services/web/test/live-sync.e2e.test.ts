// Live updates on the job page must not interrupt the user: in real headless Chromium against `imk up`
// (the web service in a real child process), a variant is playing and its preview shows the spectrogram
// when `imk sync --once` delivers the job's files; the page shows the new sync status of each artifact,
// and the same <audio> element keeps playing and the preview stays as the user left it. (Before, any change
// of sync status rebuilt the whole variant list and stopped the player mid-song.) A warning added to the
// manifest shows in the manifest view the same way (before, that view changed only with the artifacts).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOutput } from './helpers.ts';
import { IMK, startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const JOB = 'live_sync_job';

let root: string;
let browser: ImkUpPage;
let url: string;
let page: Page;
let pageErrors: string[];

// The page's elements, as far as the test reads them (this project's TypeScript has no DOM library).
interface MediaLike {
  currentTime: number;
  paused: boolean;
  loop: boolean;
  isConnected: boolean;
  dataset: Record<string, string>;
  play(): Promise<void>;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-live-sync-'));
  await makeOutput(root, JOB, { artist: 'Test Artist', title: 'Live Song' });
  await mkdir(join(root, 'config'), { recursive: true });
  // Sync is configured but its service is not running: the page shows "pending" until `imk sync --once`.
  await writeFile(
    join(root, 'config', 'nas-sync.yaml'),
    `nasSync:\n  enabled: true\n  routes:\n    - match: { kind: audio }\n      to: '${join(root, 'nas')}/{title} ({variant}).{ext}'\n`,
  );
  browser = await startImkUpPage(root, 'web', 'imk-up-live-sync.log');
  ({ url, page, pageErrors } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('job page live updates in headless Chromium', () => {
  it('keeps a variant playing and its preview as it was while the sync status changes under it', async () => {
    await page.goto(`${url}#/job/${JOB}`);
    await expect.poll(() => page.locator('.sync .pill.pending').count(), { timeout: 30_000 }).toBe(2);

    // The user plays the first variant (looped: the test song is 3 s long) and switches its preview.
    const audio = page.locator('.variant audio').first();
    await audio.evaluate((a) => {
      const media = a as unknown as MediaLike;
      media.dataset.probe = 'the element the user started';
      media.loop = true;
      return media.play();
    });
    await expect
      .poll(() => audio.evaluate((a) => (a as MediaLike).currentTime), { timeout: 20_000 })
      .toBeGreaterThan(0.2);
    const preview = page.locator('img.preview').first();
    await preview.click();
    await expect.poll(() => preview.getAttribute('data-kind'), { timeout: 30_000 }).toBe('spectrogram');
    const probe = await audio.elementHandle();

    // Sync delivers the files; the page shows it (its job poll picks the change up within seconds).
    const sync = await promisify(execFile)(process.execPath, [IMK, 'sync', '--once', '--root', root]);
    expect(sync.stderr).not.toMatch(/error/i);
    expect((await readdir(join(root, 'nas'))).length).toBe(2);
    await expect.poll(() => page.locator('.sync .pill.delivered').count(), { timeout: 30_000 }).toBe(2);
    expect(await page.locator('.sync .pill.pending').count()).toBe(0);

    // The same element is still in the page, still playing, and its time still moves on.
    expect(await probe.evaluate((a) => (a as unknown as MediaLike).isConnected)).toBe(true);
    expect(await page.locator('.variant audio[data-probe]').count()).toBe(1);
    expect(await probe.evaluate((a) => (a as unknown as MediaLike).paused)).toBe(false);
    const before = await probe.evaluate((a) => (a as unknown as MediaLike).currentTime);
    await expect
      .poll(() => probe.evaluate((a) => (a as unknown as MediaLike).currentTime), { timeout: 10_000 })
      .not.toBe(before);
    expect(await page.locator('img.preview').first().getAttribute('data-kind')).toBe('spectrogram');
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('shows a warning added to the manifest (same artifacts) without stopping the player', async () => {
    const audio = page.locator('.variant audio[data-probe]');
    expect(await audio.evaluate((a) => (a as unknown as MediaLike).paused)).toBe(false);
    const file = join(root, 'outputs', JOB, 'manifest.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as { warnings: string[] };
    manifest.warnings.push('duration check: the variant is 0.4 s shorter than the input');
    await writeFile(file, JSON.stringify(manifest, null, 2));

    await expect
      .poll(() => page.locator('#manifest').textContent(), { timeout: 20_000 })
      .toContain('0.4 s shorter than the input');
    expect(await audio.count()).toBe(1);
    expect(await audio.evaluate((a) => (a as unknown as MediaLike).paused)).toBe(false);
    expect(await page.locator('img.preview').first().getAttribute('data-kind')).toBe('spectrogram');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('lists a delivered copy found gone that can never come back (imk sync status: released) under "Copies given up"', async () => {
    expect(await page.locator('#sync-released').isHidden()).toBe(true);
    const [gone] = (await readdir(join(root, 'nas'))).sort();
    await rm(join(root, 'nas', gone!));
    const verify = await promisify(execFile)(process.execPath, [IMK, 'sync', 'verify', '--root', root]).catch(
      (error: { stdout: string }) => error,
    );
    expect(verify.stdout).toMatch(/1 missing/);
    // The job is processed again under another title: the old copy can never be sent again.
    await makeOutput(root, JOB, { artist: 'Test Artist', title: 'Live Song Again' });
    const item = page.locator('#sync-released li');
    await expect.poll(() => item.count(), { timeout: 30_000 }).toBe(1);
    expect(await page.locator('#sync-released').isVisible()).toBe(true);
    const text = await item.textContent();
    expect(text).toContain(
      `${join(root, 'nas', gone!)}: found gone by imk sync verify, and the job was processed again`,
    );
    expect(text).toMatch(/^files\/audio\/Test Artist - Live Song/);
    // It is not shown as a delivery of the new files.
    expect(await page.locator('.sync .pill.released').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
