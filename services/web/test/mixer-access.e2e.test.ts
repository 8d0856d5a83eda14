// The stem mixer for a musician without a mouse, or with a screen reader, and one who pushes every level to
// the top (mixer-fixture.ts: real headless Chromium against `imk up`): each stem's controls are named,
// clipping is said while it plays, a mix too loud to fit is turned down and the page says by how much, and
// what the fields cannot read is said rather than saved as no change.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readWavFile } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  JOB,
  RATE,
  SECONDS,
  positions,
  savedArtifact,
  mixerRootForFile,
  type MixerRoot,
} from './mixer-fixture.ts';

let root: string;
let url: string;
let page: Page;
let pageErrors: string[];
let stemPcm: MixerRoot['stemPcm'];

mixerRootForFile('imk-up-mixer-access.log', (mixer) => ({ root, url, page, pageErrors, stemPcm } = mixer));

describe('the stem mixer by keyboard and screen reader', () => {
  // A musician without a mouse, or with a screen reader: four buttons all named "mute" said nothing of
  // which stem they mute. One who raises every stem and the master to the top: the worker turns the mix
  // down so that it does not clip, and "Saved as" said nothing of it (the file was 7.7 dB quieter than
  // what was heard), and nothing said that what was heard clipped. One who types a long name: "expected a
  // lowercase name" of a lowercase name.
  it("names each stem's controls for a screen reader, says when the levels clip, and how much a mix too loud to fit was turned down", async () => {
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });
    for (const stem of STEM_NAMES) {
      for (const name of [`mute ${stem}`, `solo ${stem}`])
        expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
      expect(await page.getByRole('slider', { name: `${stem} level`, exact: true }).count()).toBe(1);
    }
    // By the keyboard alone: Tab from the master level to the vocals' mute button, Space presses it.
    await page.getByRole('slider', { name: 'master level' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate<string | null>("document.activeElement?.getAttribute('aria-label') ?? null"),
    ).toBe('mute vocals');
    await page.keyboard.press('Space');
    expect(await page.getByRole('button', { name: 'mute vocals' }).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Space');
    expect(await page.getByRole('button', { name: 'mute vocals' }).getAttribute('aria-pressed')).toBe(
      'false',
    );

    // At the levels as separated the four tones fit: nothing said while they play.
    await page.locator('.mix-play').click();
    await expect
      .poll(async () => (await positions(page)).vocals ?? 0, { timeout: 10_000 })
      .toBeGreaterThan(0.5);
    expect(await page.locator('.mixer-clip').isVisible()).toBe(false);
    await page.locator('.mix-stop').click();

    await page.getByRole('textbox', { name: 'name of the mix' }).fill('a'.repeat(65));
    await page.locator('.mix-save').click();
    await page.locator('.mixer-status[data-state="failed"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('.mixer-status').textContent()).toContain('at most 64');
    // Said to a screen reader too: the line is a live status, read out when it changes.
    expect(await page.getByRole('status').filter({ hasText: 'at most 64' }).count()).toBe(1);
    await page.getByRole('textbox', { name: 'name of the mix' }).fill('slower');

    // A key field that holds no number ("2-", a "-" not followed by the number) was saved at the song's
    // own key. Said, and nothing is queued.
    const key = page.getByRole('textbox', { name: 'key change in semitones' });
    await key.fill('');
    await key.pressSequentially('2-');
    await page.locator('.mix-save').click();
    await expect
      .poll(() => page.locator('.mixer-status').textContent(), { timeout: 10_000 })
      .toBe(
        'Could not save: the key field does not hold a number; write it as -2, or empty it for no change',
      );
    // No remix job of that name in any queue (its id ends in the mix's name).
    const queued = await readdir(join(root, 'queues'), { recursive: true });
    expect(queued.filter((name) => name.includes('slower'))).toEqual([]);
    await key.fill('0');

    // Every stem at the top of its slider (2) and the master too: each stem at 4, four tones of 0.2 at
    // once peak well past full scale.
    for (const stem of STEM_NAMES) await page.getByRole('slider', { name: `${stem} level` }).fill('2');
    await page.getByRole('slider', { name: 'master level' }).fill('2');
    // Heard so, it clips in the sound card: the page says so while it plays, and no more once the levels
    // are back where they fit (the four tones at 1 peak below 0.8).
    await page.locator('.mix-play').click();
    await page.locator('.mixer-clip').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.getByRole('status').filter({ hasText: 'Clipping' }).count()).toBe(1);
    await page.getByRole('slider', { name: 'master level' }).fill('0.25');
    await page.locator('.mixer-clip').waitFor({ state: 'hidden', timeout: 10_000 });
    await page.locator('.mix-stop').click();
    await page.getByRole('slider', { name: 'master level' }).fill('2');
    await page.getByRole('textbox', { name: 'name of the mix' }).fill('loudest');
    await page.locator('.mix-save').click();
    await page.locator('.mixer-status[data-state="saved"]').waitFor({ timeout: 60_000 });
    const loud = await savedArtifact(root, 'loudest');
    expect(loud.stem_gains).toEqual({ vocals: 4, drums: 4, bass: 4, other: 4 });
    const file = await readWavFile(join(root, 'outputs', JOB, loud.path));
    const peak = file.channels[0]!.reduce((max, x) => Math.max(max, Math.abs(x)), 0);
    expect(peak).toBeLessThanOrEqual(1);
    expect(peak).toBeGreaterThan(0.9);
    // As loud as it fits: the sum at these levels, turned down by the gain the manifest records.
    let summed = 0;
    for (let i = 0; i < RATE * SECONDS; i++)
      summed = Math.max(summed, Math.abs(4 * STEM_NAMES.reduce((sum, stem) => sum + stemPcm[stem][i]!, 0)));
    expect(loud.gain_db).toBeLessThan(0);
    expect(20 * Math.log10(peak / summed)).toBeCloseTo(loud.gain_db!, 1);
    const db = Math.abs(loud.gain_db!).toFixed(1);
    expect(await page.locator('.mixer-status').textContent()).toBe(
      `Saved as files/audio/Test Artist - Tone Song (loudest).wav, turned down ${db} dB to avoid clipping at these levels.`,
    );
    expect(await page.getByRole('status').filter({ hasText: 'Saved as' }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  // A musician who writes numbers as the docs do, or as their language does: Chromium's number fields
  // dropped a decimal comma ("0,8" became 08, then a range error) and read a pasted "−2" (U+2212, as the
  // docs write it) as 2, the opposite key. Read as written; anything else is said, naming the field.
  it('reads a decimal comma and the minus sign as typed, and names a field that holds no number', async () => {
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });
    const key = page.locator('.mix-pitch');
    const tempo = page.locator('.mix-tempo');
    await page.locator('.mix-name').fill('comma');
    await tempo.fill('');
    await tempo.pressSequentially('0,8');
    // Pasted from the docs.
    await key.fill('');
    await key.focus();
    await page.keyboard.insertText('\u22122');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/mix'), {
      timeout: 10_000,
    });
    await page.locator('.mix-save').click();
    expect((await sent).postDataJSON()).toMatchObject({ variant: 'comma', pitch: -2, tempo: 0.8 });
    await page.locator('.mixer-status[data-job]').waitFor({ timeout: 10_000 });

    // Anything else is not taken for no change (or for a number it is not): said, naming the field.
    await page.locator('.mix-name').fill('refused');
    await tempo.fill('1');
    for (const typed of ['2-', '\u2212', '1e1', '0,8,1', 'two', '- 2']) {
      await key.fill(typed);
      await page.locator('.mix-save').click();
      expect(await page.locator('.mixer-status').textContent(), typed).toBe(
        'Could not save: the key field does not hold a number; write it as -2, or empty it for no change',
      );
    }
    await key.fill('0');
    await tempo.fill('0,8.');
    await page.locator('.mix-save').click();
    expect(await page.locator('.mixer-status').textContent()).toBe(
      'Could not save: the tempo field does not hold a number; write it as 0.8, or empty it for no change',
    );
    const queued = await readdir(join(root, 'queues'), { recursive: true });
    expect(queued.filter((name) => name.includes('refused'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  // Enter in the mix's name did nothing: only the button saved, where every form saves on Enter.
  it('saves on Enter in the name field, as the button does', async () => {
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });
    const name = page.getByRole('textbox', { name: 'name of the mix' });
    await name.fill('entered');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/mix'), {
      timeout: 10_000,
    });
    await name.press('Enter');
    expect((await sent).postDataJSON()).toMatchObject({ variant: 'entered' });
    await page.locator('.mixer-status[data-job]').waitFor({ timeout: 10_000 });
    // The page stays where it is (a form's own submit would have reloaded it).
    expect(new URL(page.url()).hash).toBe(`#/job/${JOB}`);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  // A screen reader said a slider's bare number ("0.5"): not which stem, nor what it means to the ear.
  it('says each level slider in words: the stem, its level in dB, or muted', async () => {
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });
    const said = (name: string) =>
      page.getByRole('slider', { name, exact: true }).getAttribute('aria-valuetext');
    for (const stem of STEM_NAMES) expect(await said(`${stem} level`)).toBe(`${stem} 0 dB`);
    expect(await said('master level')).toBe('master 0 dB');
    await page.getByRole('slider', { name: 'vocals level' }).fill('0.5');
    expect(await said('vocals level')).toBe('vocals \u22126 dB');
    await page.getByRole('slider', { name: 'bass level' }).fill('2');
    expect(await said('bass level')).toBe('bass +6 dB');
    await page.getByRole('slider', { name: 'other level' }).fill('0');
    expect(await said('other level')).toBe('other silent');
    await page.getByRole('button', { name: 'mute vocals' }).click();
    expect(await said('vocals level')).toBe('vocals muted');
    await page.getByRole('button', { name: 'mute vocals' }).click();
    expect(await said('vocals level')).toBe('vocals \u22126 dB');
    // Solo: the others are not heard, and say so.
    await page.getByRole('button', { name: 'solo bass' }).click();
    expect(await said('bass level')).toBe('bass +6 dB');
    expect(await said('drums level')).toBe('drums 0 dB, not heard: another stem is soloed');
    await page.getByRole('button', { name: 'solo bass' }).click();
    expect(await said('drums level')).toBe('drums 0 dB');
    await page.getByRole('slider', { name: 'master level' }).fill('0.25');
    expect(await said('master level')).toBe('master \u221212 dB');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
