// The stem mixer on the job page, in real headless Chromium against `imk up` (mixer-fixture.ts): the page
// plays the cached stems through Web Audio, solo changes what the master analyser hears, and "Save this mix"
// makes the worker render the mix from the cache into the job's outputs, at its levels and in another key;
// a mix the worker would refuse is refused at the click.
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readWavFile } from '@imk/media';
import { STEM_NAMES, type StemName } from '@imk/protocol';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { makeOutput } from './helpers.ts';
import { ARTIFACTS } from './imk-up-page.ts';
import {
  ENGINE,
  JOB,
  RATE,
  SECONDS,
  TONES,
  levels,
  positions,
  savedArtifact,
  sdrDb,
  mixerRootForFile,
  toneHz,
  type MixerRoot,
} from './mixer-fixture.ts';

let root: string;
let url: string;
let page: Page;
let pageErrors: string[];
let stemPcm: MixerRoot['stemPcm'];

mixerRootForFile('imk-up-mixer.log', (mixer) => ({ root, url, page, pageErrors, stemPcm } = mixer));

describe('the stem mixer in headless Chromium', () => {
  it('plays the stems together, solo changes what is heard, and "Save this mix" renders it from the cache', async () => {
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });

    // Plays: every stem's position advances, and all stems are at the same place.
    await page.locator('.mix-play').click();
    await page.waitForTimeout(400);
    const first = await positions(page);
    await page.waitForTimeout(400);
    const second = await positions(page);
    expect(Object.keys(second).sort()).toEqual([...STEM_NAMES].sort());
    for (const stem of STEM_NAMES) {
      expect(second[stem]! - first[stem]!).toBeGreaterThan(0.2);
      expect(second[stem]).toBe(second.vocals);
    }

    // Solo bass: the master analyser hears the bass tone only (the others at least 40 dB below).
    const all = await levels(page);
    for (const level of all) expect(level).toBeGreaterThan(-50);
    await page.locator('.mixer-stem[data-stem="bass"] .solo').click();
    await page.waitForTimeout(300);
    const soloLevels = await levels(page);
    const at = (stem: StemName) => soloLevels[Object.keys(TONES).indexOf(stem)]!;
    expect(at('bass')).toBeGreaterThan(-50);
    for (const stem of ['vocals', 'drums', 'other'] as const) expect(at(stem)).toBeLessThan(at('bass') - 40);
    await page.locator('.mixer-stem[data-stem="bass"] .solo').click();

    // Save: vocals at 0.2, drums muted, the rest as separated.
    await page.locator('.mixer-stem[data-stem="vocals"] input[type=range]').fill('0.2');
    await page.locator('.mixer-stem[data-stem="drums"] .mute').click();
    await page.locator('.mix-name').fill('practice');
    // A cleared tempo field is no tempo change (it sent 0, and the server answered 400).
    await page.locator('.mix-tempo').fill('');
    await page.locator('.mix-save').click();
    await page.locator('.mixer-status[data-job]').waitFor({ timeout: 10_000 });
    await page.locator('.mix-stop').click();

    const firstSave = await page.locator('.mixer-status').getAttribute('data-job');
    // The page follows the remix job: "saved as <file>" with a link, once the worker has made it.
    await page.locator('.mixer-status[data-state="saved"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('.mixer-status').textContent()).toBe(
      'Saved as files/audio/Test Artist - Tone Song (practice).wav.',
    );
    const link = await page.locator('.mixer-status a.mix-file').getAttribute('href');
    expect((await page.request.get(`${url}${link}`)).status()).toBe(200);
    // The same mix saved again (same levels, key and tempo): said at once, with the link; nothing is queued
    // (it was queued and made again, or, at a tempo spelled otherwise, refused by the worker after "saving").
    const practiceJobs = async () =>
      (await readdir(join(root, 'queues'), { recursive: true })).filter((n) => /job_[^/]*_practice$/.test(n));
    const jobsBefore = await practiceJobs();
    await page.locator('.mix-save').click();
    await expect
      .poll(() => page.locator('.mixer-status').textContent(), { timeout: 10_000 })
      .toBe(
        'Already saved as files/audio/Test Artist - Tone Song (practice).wav (these levels, key and tempo): nothing to do.',
      );
    expect(await page.locator('.mixer-status').getAttribute('data-state')).toBe('saved');
    expect(await page.locator('.mixer-status').getAttribute('data-job')).toBeNull();
    expect(await page.locator('.mixer-status a.mix-file').getAttribute('href')).toBe(link);
    expect(await practiceJobs()).toEqual(jobsBefore);
    await page.locator('.mix-tempo').fill('1');
    const artifact = await savedArtifact(root, 'practice');
    expect(artifact, 'the saved mix joins the outputs').toBeDefined();
    expect(artifact.path).toBe('files/audio/Test Artist - Tone Song (practice).wav');
    expect(artifact.stem_gains).toEqual({ vocals: 0.2, drums: 0, bass: 1, other: 1 });
    const manifest = JSON.parse(await readFile(join(root, 'outputs', JOB, 'manifest.json'), 'utf8')) as {
      artifacts: { variant: string }[];
    };
    // The job's earlier files are still there, beside the new one.
    expect(manifest.artifacts.map((a) => a.variant)).toEqual(['instrumental', 'no_drums', 'practice']);

    const saved = await readWavFile(join(root, 'outputs', JOB, artifact.path));
    const expected = Float32Array.from(
      { length: RATE * SECONDS },
      (_, i) => 0.2 * stemPcm.vocals[i]! + stemPcm.bass[i]! + stemPcm.other[i]!,
    );
    const sdr = sdrDb(expected, saved.channels[0]!);
    expect(sdr).toBeGreaterThanOrEqual(60);

    // In another key: "other" (570 Hz) alone, two semitones down. The file name and the manifest say so,
    // and the tone in the file is two semitones lower (570 Hz × 2^(-2/12) ≈ 507.8 Hz).
    await page.locator('.mixer-stem[data-stem="drums"] .mute').click();
    await page.locator('.mixer-stem[data-stem="other"] .solo').click();
    await page.locator('.mix-name').fill('lower');
    await page.locator('.mix-pitch').fill('-2');
    await page.locator('input[aria-label="master level"]').fill('0.5');
    await page.locator('.mix-save').click();
    await expect
      .poll(() => page.locator('.mixer-status').getAttribute('data-job'), { timeout: 10_000 })
      .not.toBe(firstSave);
    const lower = await savedArtifact(root, 'lower');
    expect(lower.path).toBe('files/audio/Test Artist - Tone Song (lower) (-2 semitones).wav');
    expect(lower.pitch).toBe(-2);
    // Solo "other", at half the level by the master slider.
    expect(lower.stem_gains).toEqual({ vocals: 0, drums: 0, bass: 0, other: 0.5 });
    const transposed = await readWavFile(join(root, 'outputs', JOB, lower.path));
    const hz = toneHz(transposed.channels[0]!, transposed.sampleRate);
    expect(Math.abs(12 * Math.log2(hz / TONES.other) - -2)).toBeLessThan(0.05);
    expect(transposed.frames / transposed.sampleRate).toBeCloseTo(SECONDS, 1);
    await page.screenshot({ path: join(ARTIFACTS, 'mixer.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('refuses at the click a mix the worker would refuse, rather than "saving" it', async () => {
    // "no_drum" is written under the job's own no_drums file name. Its manifest does not say the job's format
    // (an earlier manifest): the dashboard judged nothing without it and the page said "saving" until the
    // worker (format wav by config) refused the mix. It is judged in every format now, at the click. A job of
    // the same song (its stems are those cached above), its files named .wav.
    const other = 'mixer_job_2';
    const dir = await makeOutput(root, other, { artist: 'Test Artist', title: 'Tone Song' }, ENGINE);
    const made = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      artifacts: { path: string }[];
      options?: unknown;
    };
    for (const a of made.artifacts) {
      const wav = a.path.replace(/\.m4a$/, '.wav');
      await rename(join(dir, a.path), join(dir, wav));
      a.path = wav;
    }
    made.options = { variants: ['instrumental', 'no_drums'] };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(made));
    const before = await readFile(join(dir, 'manifest.json'), 'utf8');
    const queued = async () =>
      (await readdir(join(root, 'queues', 'other')).catch(() => [])).filter((n) => n.endsWith('_no_drum'));
    // From a blank page: a change of the hash alone left the last job's mixer on screen until the new one
    // was drawn, so the name was typed into the old mixer and the new one saved its default name (seen in a
    // clean-clone CI run: "my_mix" saved, the page rightly said "Saved").
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${other}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });
    await page.locator('.mix-name').fill('no_drum');
    expect(await page.locator('.mix-name').inputValue()).toBe('no_drum');
    await page.locator('.mix-save').click();
    await page.locator('.mixer-status[data-state="failed"]').waitFor({ timeout: 10_000 });
    const text = await page.locator('.mixer-status').textContent();
    expect(text).toBe(
      'Could not save: variant: the mix "no_drum" would be written under the name of files/audio/Test Artist - Tone Song (no drum).wav, which is job mixer_job_2\'s Instrumental (no drum) (no_drums); save the mix under another name',
    );
    expect(await page.locator('.mixer-status').getAttribute('data-job'), 'no job was queued').toBeNull();
    expect(await queued()).toEqual([]);
    expect(await readFile(join(dir, 'manifest.json'), 'utf8'), 'the job is left as it was').toBe(before);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
