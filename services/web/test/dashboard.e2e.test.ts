// The dashboard end to end, as a user meets it: `imk up` (a real child process running the retriever,
// the worker, NAS sync and the web service), real yt-dlp fetching from a loopback HTTP server, and the
// page driven in real headless Chromium. Screenshots are kept in test-artifacts/web-e2e/.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFailedJob, makeSong } from './helpers.ts';
import { serveFolder } from './media-server.ts';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const ARTIFACTS = join(REPO, 'test-artifacts', 'web-e2e');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The test plays a variant without a user gesture; muted audio still advances currentTime.
  '--autoplay-policy=no-user-gesture-required',
  '--mute-audio',
];

let root: string;
let profile: string;
let media: Awaited<ReturnType<typeof serveFolder>>;
let up: ChildProcess;
let upExit: Promise<number | null>;
let dashboardUrl: string;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
// The page's elements, as far as the test reads them (this project's TypeScript has no DOM library).
interface MediaLike {
  currentTime: number;
  error: unknown;
  play(): Promise<void>;
  pause(): void;
}
interface ImageLike {
  naturalWidth: number;
  complete: boolean;
  src: string;
}

async function startImkUp(): Promise<string> {
  up = spawn(
    process.execPath,
    [IMK, 'up', '--root', root, '--port', '0', '--only', 'youtube-retriever,instrumental-maker,nas-sync,web'],
    { env: { ...process.env, IMK_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  up.stderr!.pipe(createWriteStream(join(ARTIFACTS, 'imk-up.log')));
  upExit = new Promise((resolve) => up.once('exit', (code) => resolve(code)));
  return new Promise<string>((resolve, reject) => {
    let out = '';
    up.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    void upExit.then((code) =>
      reject(new Error(`imk up exited (${code}) before listening; see ${ARTIFACTS}/imk-up.log`)),
    );
  });
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  root = await mkdtemp(join(tmpdir(), 'imk-e2e-root-'));
  profile = await mkdtemp(join(tmpdir(), 'imk-e2e-chromium-'));
  const mediaDir = join(root, 'loopback-media');
  await makeSong(join(mediaDir, 'Loopback Song.m4a'), 8);
  media = await serveFolder(mediaDir);
  await mkdir(join(root, 'config'), { recursive: true });
  // Deliver every audio variant to a local "NAS" folder, so the page shows sync status per artifact.
  await writeFile(
    join(root, 'config', 'nas-sync.yaml'),
    `nasSync:\n  enabled: true\n  pollIntervalSec: 1\n  routes:\n    - match: { kind: audio }\n      to: '${join(root, 'nas')}/{title} ({variant}).{ext}'\n`,
  );
  dashboardUrl = await startImkUp();
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (up && up.exitCode === null) {
    up.kill('SIGKILL');
    await upExit;
  }
  await media?.close();
  await rm(root, { recursive: true, force: true });
  await rm(profile, { recursive: true, force: true });
});

describe('dashboard in headless Chromium', () => {
  it('pastes a URL, shows the job finish, plays a variant, shows sync status, then imk up stops cleanly', async () => {
    await page.goto(dashboardUrl);
    await page.locator('#live.on').waitFor({ timeout: 30_000 });
    // The stream opens before its first snapshot arrives: wait for the queues to be drawn.
    await expect.poll(() => page.locator('#queues-table tbody tr').count(), { timeout: 30_000 }).toBe(3);

    await page.fill('#url-input', media.url('Loopback Song.m4a'));
    await page.selectOption('#mode-select', 'audio');
    await page.click('#submit-url');
    await expect.poll(() => page.textContent('#submit-result'), { timeout: 120_000 }).toMatch(/^Queued: /);
    const jobId = ((await page.textContent('#submit-result')) ?? '').replace('Queued: ', '').trim();
    expect(jobId).toMatch(/^yt_/);

    const row = page.locator(`#jobs-table tr[data-job-id="${jobId}"]`);
    await row.waitFor({ timeout: 30_000 });
    await page
      .locator(`#jobs-table tr[data-job-id="${jobId}"][data-state="succeeded"]`)
      .waitFor({ timeout: 180_000 });
    // The finished job is in the library too (outputs/ as a browsable list).
    await page.locator(`#outputs-table tr[data-output-id="${jobId}"]`).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, '1-overview.png'), fullPage: true });

    await row.click();
    await page.locator('#job-detail').waitFor({ state: 'visible' });
    await expect.poll(() => page.textContent('#job-state'), { timeout: 30_000 }).toBe('succeeded');
    const variants = page.locator('.variant[data-kind="audio"]');
    await expect.poll(() => variants.count(), { timeout: 30_000 }).toBe(3);
    expect(await page.locator('.variant .name').allTextContents()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/instrumental/i),
        expect.stringMatching(/no drum/i),
        expect.stringMatching(/drums only/i),
      ]),
    );
    await expect
      .poll(() => page.locator('#history-table tbody tr').count(), { timeout: 30_000 })
      .toBeGreaterThan(1);

    // The server-rendered waveform of every variant loads.
    await expect
      .poll(
        () =>
          page
            .locator('img.preview')
            .evaluateAll((imgs) => imgs.filter((i) => (i as ImageLike).naturalWidth > 0).length),
        {
          timeout: 60_000,
        },
      )
      .toBe(3);

    // Play the first variant: its currentTime advances.
    const audio = page.locator('.variant audio').first();
    await audio.evaluate((a) => (a as MediaLike).play());
    await expect
      .poll(() => audio.evaluate((a) => (a as MediaLike).currentTime), { timeout: 20_000 })
      .toBeGreaterThan(0.5);
    expect(await audio.evaluate((a) => (a as MediaLike).error)).toBeNull();

    // NAS sync delivered each variant to the local destination, and the page says so per artifact.
    await expect.poll(() => page.locator('.sync .pill.delivered').count(), { timeout: 60_000 }).toBe(3);
    expect((await readdir(join(root, 'nas'))).length).toBe(3);

    // The manifest and a download link are there.
    await page.click('details summary');
    expect(await page.textContent('#manifest')).toContain(`"job_id": "${jobId}"`);
    const href = await page.locator('.variant a[download]').first().getAttribute('href');
    const download = await fetch(new URL(href!, dashboardUrl));
    expect(download.headers.get('content-disposition')).toMatch(/^attachment/);
    await audio.evaluate((a) => (a as MediaLike).pause());

    await page.screenshot({ path: join(ARTIFACTS, '2-job.png'), fullPage: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, '3-job-top.png') });
    // The README's screenshot: IMK_UPDATE_SCREENSHOT=1 npx vitest run services/web/test/dashboard.e2e.test.ts
    if (process.env.IMK_UPDATE_SCREENSHOT === '1')
      await copyFile(join(ARTIFACTS, '3-job-top.png'), join(REPO, 'docs', 'dashboard.png'));

    // A click on a waveform shows the spectrogram instead.
    const preview = page.locator('img.preview').first();
    await preview.click();
    await expect
      .poll(
        () =>
          preview.evaluate(
            (i) =>
              (i as ImageLike).complete &&
              (i as ImageLike).naturalWidth > 0 &&
              (i as ImageLike).src.endsWith('spectrogram.png'),
          ),
        { timeout: 30_000 },
      )
      .toBe(true);
    expect(pageErrors).toEqual([]);

    // A failed job: its error is shown, and Retry puts it back into its queue, where the worker takes it.
    await makeFailedJob(root, 'retry_me');
    await page.goto(`${dashboardUrl}/#/job/retry_me`);
    await expect.poll(() => page.textContent('#job-state'), { timeout: 30_000 }).toBe('failed');
    expect(await page.textContent('#job-error')).toMatch(/could not be decoded/);
    await page.click('#retry-button');
    await expect.poll(() => page.textContent('#job-state'), { timeout: 120_000 }).toBe('succeeded');
    await page.screenshot({ path: join(ARTIFACTS, '4-retried.png'), fullPage: true });
    expect(pageErrors).toEqual([]);

    // SIGTERM: every service stops and imk up exits 0.
    up.kill('SIGTERM');
    expect(await upExit).toBe(0);
  }, 420_000);
});
