// The stem mixer of a job whose stems were cleaned up (mixer-fixture.ts: real headless Chromium against
// `imk up`): the page says so, and "Separate again" brings them back through a real separation by the worker.
import { readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { STEM_NAMES, findCachedStems } from '@imk/protocol';
import { createBundle } from '@imk/retriever-sdk';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { makeSong } from './helpers.ts';
import { ARTIFACTS } from './imk-up-page.ts';
import { STEM_DIR, positions, readManifest, mixerRootForFile } from './mixer-fixture.ts';

let root: string;
let url: string;
let page: Page;
let pageErrors: string[];

mixerRootForFile('imk-up-mixer-again.log', (mixer) => ({ root, url, page, pageErrors } = mixer));

describe('the stem mixer of a job whose stems were cleaned up', () => {
  it('says when the stems were cleaned up, and "Separate again" brings the mixer back', async () => {
    // A real song, separated by the worker (builtin engine) into the configured stem cache.
    const song = join(root, 'media', 'song.wav');
    await makeSong(song, 4);
    await createBundle({ jobId: 'real_song', sourceType: 'local', root, queue: 'other' })
      .setTags({ artist: 'Test Artist', album: 'Tests', title: 'Real Song' })
      .addAudio(song)
      .publish();
    await expect
      .poll(async () => (await readManifest(root, 'real_song')) !== undefined, { timeout: 90_000 })
      .toBe(true);
    const manifest = JSON.parse(
      await readFile(join(root, 'outputs', 'real_song', 'manifest.json'), 'utf8'),
    ) as Parameters<typeof findCachedStems>[1];
    const stems = await findCachedStems(join(root, STEM_DIR), manifest);
    expect(stems, 'the worker left the stems in the configured stem cache').toBeDefined();

    // Retention cleans the cache entry up.
    await rm(dirname(stems!.vocals), { recursive: true });
    await page.goto(`${url}#/job/real_song`);
    await page.locator('.mixer-missing').waitFor({ timeout: 30_000 });
    expect(await page.locator('.mixer-missing').textContent()).toContain('no longer in the stem cache');
    expect(await page.locator('.mixer-stem').count()).toBe(0);
    // The song is archived: the worker can make a mix from it, so a mix can be saved by its levels too.
    expect(await page.locator('.mixer-missing').textContent()).toContain('save a mix by its levels');
    expect(await page.locator('.mix-save-blind').isVisible()).toBe(true);
    expect(await page.locator('.mix-blind-vocals').inputValue()).toBe('0');
    // A level the browser cannot read as a number ("1-") was sent as 0: the drums left out of the mix, and
    // the song separated again for it. Said, and nothing is queued.
    await page.locator('.mix-blind-drums').fill('');
    await page.locator('.mix-blind-drums').pressSequentially('1-');
    await page.locator('.mix-save-blind').click();
    await expect
      .poll(() => page.locator('.mix-blind-status').textContent(), { timeout: 10_000 })
      .toBe(
        'Could not save: the drums level does not hold a number; write it as 1 (as separated) or 0 (silent)',
      );
    // An empty level was sent as 0 too (silent), where an empty key or tempo field means no change: it is
    // neither, and is refused the same way, naming the stem; nothing is queued. The server refuses a level
    // that is not a number alike (stems.<stem>, 400 INVALID_MIX: mixer-saves.test.ts).
    await page.locator('.mix-blind-vocals').fill('');
    await page.locator('.mix-blind-drums').fill('1');
    await page.locator('.mix-save-blind').click();
    await expect
      .poll(() => page.locator('.mix-blind-status').textContent(), { timeout: 10_000 })
      .toBe('Could not save: the vocals level is empty; write it as 1 (as separated) or 0 (silent)');
    expect(
      (await readdir(join(root, 'queues'), { recursive: true })).filter((n) => n.includes('my_mix')),
    ).toEqual([]);
    // A finished job cannot be cancelled: the page offers no cancel.
    expect(await page.locator('#cancel-box').isVisible()).toBe(false);

    await page.locator('.mix-separate-again').click();
    await page.locator('.mixer-again-status[data-job]').waitFor({ timeout: 10_000 });
    const again = (await page.locator('.mixer-again-status').getAttribute('data-job'))!;
    expect(again).toMatch(/^real_song_again_/);
    expect(await page.locator('.mixer-again-status').textContent()).toContain(again);
    expect(await page.locator('.mixer-again-status').getAttribute('role')).toBe('status');

    // The worker separates the song again (not linked as a duplicate); the mixer opens by itself and plays.
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 120_000 });
    const redone = (await readManifest(root, again)) as { duplicate_of?: string } | undefined;
    expect(redone?.duplicate_of).toBeUndefined();
    expect(await findCachedStems(join(root, STEM_DIR), manifest)).toBeDefined();
    await page.locator('.mix-play').click();
    await page.waitForTimeout(400);
    const first = await positions(page);
    await page.waitForTimeout(400);
    const second = await positions(page);
    for (const stem of STEM_NAMES) expect(second[stem]! - first[stem]!).toBeGreaterThan(0.2);
    await page.locator('.mix-stop').click();
    await page.screenshot({ path: join(ARTIFACTS, 'mixer-separate-again.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
