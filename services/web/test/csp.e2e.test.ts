// The dashboard under its own Content-Security-Policy, in real headless Chromium: the login form, the
// overview with live updates, an upload through the page (which must send the CSRF token of its cookie
// session), a job page with its audio players and preview images, a degraded service's reason. Any CSP
// violation the browser reports fails the test.
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { writeSubscriptionStatus } from '@imk/retriever-sdk';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { MDX_ENGINE, makeAudio, makeOutput, openChromium, quietLogger, tempRoot } from './helpers.ts';

const TOKEN = 'csp-test-token-0123456789abcdef';
let web: RunningWeb;
let stop: AbortController;
let cleanup: () => Promise<void>;
let root: string;
let browser: Awaited<ReturnType<typeof openChromium>> | undefined;
let context: BrowserContext;
let page: Page;
const violations: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-web-csp-'));
  // A job separated by an MDX-Net model: its engine and model are shown in the job list and on its page.
  await makeOutput(root, 'yt_csp_song', { artist: 'Test Artist', title: 'Sine Song' }, MDX_ENGINE);
  const ledger = openLedger({ root });
  ledger.recordState(
    'yt_csp_song',
    { state: 'succeeded', attempt: 1 },
    { queue: 'youtube', title: 'Sine Song' },
  );
  ledger.close();
  // A subscription whose list could not be read twice in a row: the retriever tries again sooner than
  // its every, and the dashboard says why and when.
  await writeSubscriptionStatus(join(root, 'state'), {
    id: '0123456789ab',
    url: 'https://example.com/channel/videos',
    last_run_at: '2026-01-01T00:05:00.000Z',
    ok: false,
    fetched: [],
    failed: [],
    error: { code: 'NETWORK', message: 'https://example.com/channel/videos: connection refused' },
    failures_in_a_row: 2,
    retry_at: '2026-01-01T00:15:00.000Z',
  });
  stop = new AbortController();
  web = await listenWeb({
    root,
    logger: quietLogger(),
    signal: stop.signal,
    cleanupSchedule: false,
    overrides: { port: 0, token: TOKEN },
    services: () => [
      { name: 'web', state: 'running' },
      {
        name: 'deemix-retriever',
        state: 'degraded',
        reasons: ['deemix: deemix was not found (needed only for Deezer links)'],
      },
    ],
  });
  browser = await openChromium('imk-csp-chromium-');
  ({ context, page } = browser);
  // Reported by the browser itself, before any page script runs: every blocked load, script or style.
  // (A string: this project's TypeScript has no DOM library.)
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      console.error('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI);
    });`,
  });
  page.on('console', (message) => {
    if (/Content Security Policy|CSP violation/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  stop?.abort();
  await web?.closed;
  await cleanup?.();
});

describe('the dashboard under its Content-Security-Policy', () => {
  it('logs in, shows live data, uploads, plays and previews with no CSP violation', async () => {
    await page.goto(`${web.url}/#/job/yt_csp_song`);
    expect(page.url()).toContain('/login?next=');
    await page.fill('input[name=token]', TOKEN);
    await Promise.all([page.waitForURL(`${web.url}/**`), page.click('button[type=submit]')]);

    await page.goto(`${web.url}/`);
    await page.locator('#live.on').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('#queues-table tbody tr').count(), { timeout: 30_000 }).toBe(3);
    // The degraded service says why, in words, not only in a colour.
    await page.locator('.pill.degraded[data-service="deemix-retriever"]').waitFor();
    expect(await page.textContent('#service-banner')).toMatch(/deemix-retriever is degraded: .*not found/);
    // The job list says which engine and model made the job.
    const row = page.locator('#jobs-table tr[data-job-id="yt_csp_song"]');
    await expect
      .poll(() => row.locator('td.engine').textContent(), { timeout: 30_000 })
      .toBe('mdx 1 · model UVR-MDX-NET-Inst_HQ_3.onnx');

    // A subscription that failed whole: the reason, how many times in a row, and when it is tried again.
    const subscription = page.locator('#subscriptions-table tr[data-subscription="0123456789ab"]');
    await expect
      .poll(() => subscription.textContent(), { timeout: 30_000 })
      .toMatch(/connection refused \(failed 2× in a row; trying again at .+\)/);

    // The page's own upload works with a cookie session: it sends the CSRF token.
    const song = join(root, 'Upload Band - Upload Song.wav');
    await makeAudio(song, 1);
    await page.setInputFiles('#upload-input', song);
    await expect
      .poll(() => page.textContent('#submit-result'), { timeout: 30_000 })
      .toMatch(/^Queued: upload_/);

    // A job page: players and server-rendered previews load under the policy.
    await page.goto(`${web.url}/#/job/yt_csp_song`);
    await page.locator('#variants .variant audio').first().waitFor({ timeout: 30_000 });
    // The engine, its model and the model's hash, visible on the job page.
    await page.locator('#job-engine').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#job-engine').innerText()).toBe(
      'engine mdx 1 · model UVR-MDX-NET-Inst_HQ_3.onnx · hash 55657dd70583b0fedfba5f67df11d711',
    );
    await expect
      .poll(
        () =>
          page.evaluate(
            "[...document.querySelectorAll('#variants img.preview')].every((img) => img.naturalWidth > 0)",
          ),
        { timeout: 60_000 },
      )
      .toBe(true);
    await page
      .locator('#variants audio')
      .first()
      .evaluate(async (el) => {
        const audio = el as unknown as { play(): Promise<void>; pause(): void };
        await audio.play();
        audio.pause();
      });

    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
    // The watch works: an inline script, which the policy forbids, is reported.
    await page.evaluate(
      "{ const script = document.createElement('script'); script.textContent = 'window.injected = 1'; document.body.append(script); }",
    );
    await expect.poll(() => violations.length, { timeout: 10_000 }).toBeGreaterThan(0);
  }, 120_000);

  it('cannot be framed by another page', async () => {
    const response = await page.goto(`${web.url}/`);
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});
