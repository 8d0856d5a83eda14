// Cancel from the dashboard (issue 17), in real headless Chromium against `imk up` (the worker and the web
// service in a real child process): a queued job is archived with the reason and Retry brings it back; a
// running job is stopped by its worker with nothing published, no partial outputs and no stems half-stored.
// The worker separates with the counting test engine (the builtin engine behind a counter), whose separation
// is held for as long as a file exists: the running job is cancelled while it separates, however fast the
// machine (a 60-s song was separated in ~3 s on a quiet one, and stored whole before the click arrived).
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundle } from '@imk/retriever-sdk';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TEST_SCRIPTS, bundledScript } from '../../../packages/cli/test/bundle/scripts.ts';
import { makeSong } from './helpers.ts';
import { startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
/** The counting engine as the worker process loads it: its copy in the test bundle, else the TypeScript. */
const COUNTING_ENGINE = join(REPO, TEST_SCRIPTS['counting-engine']!);

let root: string;
let browser: ImkUpPage;
let url: string;
let page: Page;
let pageErrors: string[];
/** One line per separation the worker starts. */
const engineCalls = () => join(root, 'engine-calls.txt');
/** Each separation lasts for as long as this file exists. */
const holdFile = () => join(root, 'hold-separation');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-cancel-e2e-'));
  await mkdir(join(root, 'media'), { recursive: true });
  await mkdir(join(root, 'state', 'cache', 'stems'), { recursive: true });
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'instrumental-maker.yaml'),
    // JSON is YAML.
    JSON.stringify({
      engine: {
        name: 'counting',
        module: bundledScript(COUNTING_ENGINE) ?? COUNTING_ENGINE,
        params: { counterFile: engineCalls(), holdWhile: holdFile() },
      },
    }),
  );
  browser = await startImkUpPage(root, 'instrumental-maker,web', 'imk-up-cancel.log');
  ({ url, page, pageErrors } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('cancel from the job page in headless Chromium', () => {
  it('cancels a queued job from its page, keeps it with the reason, and Retry brings it back', async () => {
    // Queue "held" is not one the worker claims from: the job waits there, as a job queued by mistake would.
    const song = join(root, 'media', 'held.wav');
    await makeSong(song, 1);
    await createBundle({ jobId: 'held_job', sourceType: 'local', root, queue: 'held' })
      .setTags({ artist: 'Test Artist', title: 'Queued By Mistake' })
      .addAudio(song)
      .publish();
    await page.goto(`${url}#/job/held_job`);
    await page.locator('#cancel-box').waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#job-state').textContent()).toBe('ready');
    await page.locator('#cancel-reason').fill('wrong song');
    await page.locator('#cancel-button').click();
    await page.locator('#job-state.cancelled').waitFor({ timeout: 30_000 });
    expect(await page.locator('#cancel-box').isVisible()).toBe(false);
    expect(await page.locator('#job-error').textContent()).toContain('wrong song');
    // Kept in the cancelled archive with why and when; nothing is left among the queue's waiting jobs.
    const kept = join(root, 'queues', 'held', 'cancelled', 'job_held_job');
    const record = JSON.parse(await readFile(join(kept, 'imk-cancel.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(record).toMatchObject({ reason: 'wrong song', was: 'ready' });
    expect(Object.values(record).some((v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)))).toBe(
      true,
    );
    expect(await readdir(join(root, 'queues', 'held'))).not.toContain('job_held_job');
    expect(await readdir(join(root, 'queues', 'held', 'claimed')).catch(() => [])).toEqual([]);

    await page.locator('#retry-button').click();
    await page.locator('#job-state.ready').waitFor({ timeout: 30_000 });
    expect(await readdir(join(root, 'queues', 'held'))).toContain('job_held_job');
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('stops a running job from its page: nothing published, no partial outputs, no stems half-stored', async () => {
    const cacheBefore = (await readdir(join(root, 'state', 'cache', 'stems'))).sort();
    // Held in its separation until the page shows it cancelled: a worker that did not stop it would hold it
    // there for good (and the wait for "cancelled" would fail), and nothing can be stored meanwhile. Held
    // from before the job is published, so its length does not matter: a few seconds (it was 60 s, from
    // before the hold; its noise is never cached, and ffmpeg took several CPU-seconds to make it).
    await writeFile(holdFile(), '');
    try {
      const song = join(root, 'media', 'long.wav');
      await makeSong(song, 4);
      await createBundle({ jobId: 'long_job', sourceType: 'local', root, queue: 'other' })
        .setTags({ artist: 'Test Artist', title: 'Long Song' })
        .addAudio(song)
        .publish();
      await page.goto(`${url}#/job/long_job`);
      await page.locator('#job-state.running').waitFor({ timeout: 60_000 });
      // The worker is in the separation (the engine's call is logged) before the cancel is clicked.
      await vi.waitFor(async () => expect(await readFile(engineCalls(), 'utf8')).not.toBe(''), {
        timeout: 60_000,
        interval: 100,
      });
      await page.locator('#cancel-box').waitFor({ state: 'visible', timeout: 10_000 });
      await page.locator('#cancel-reason').fill('wrong take');
      await page.locator('#cancel-button').click();
      await page.locator('#job-state.cancelled').waitFor({ timeout: 60_000 });
    } finally {
      await rm(holdFile(), { force: true });
    }
    expect(await page.locator('#job-error').textContent()).toContain('wrong take');

    const queue = join(root, 'queues', 'other');
    const record = JSON.parse(
      await readFile(join(queue, 'cancelled', 'job_long_job', 'imk-cancel.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(record).toMatchObject({ reason: 'wrong take', was: 'running' });
    expect(await readdir(join(queue, 'claimed'))).toEqual([]);
    const outputs = await readdir(join(root, 'outputs'));
    expect(outputs.filter((name) => name.includes('long_job'))).toEqual([]);
    expect((await readdir(join(root, 'state', 'cache', 'stems'))).sort()).toEqual(cacheBefore);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
