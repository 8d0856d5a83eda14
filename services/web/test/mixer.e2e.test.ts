// The stem mixer on the job page, in real headless Chromium against `imk up` (the worker and the web
// service in a real child process): the stems of a published job sit in the worker's stem cache (four test
// tones at distinct frequencies), the page plays them through Web Audio, solo changes what the master
// analyser hears, and "Save this mix" makes the worker render the mix from the cache into the job's outputs,
// at its levels and in another key. The stem cache is configured away from its default folder (stemCache.dir),
// as a user with a big disk would: the dashboard must look there. A job whose stems were cleaned up says so,
// and "Separate again" brings them back through a real separation by the worker.
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createWavWriter, readWavFile } from '@imk/media';
import { STEM_NAMES, findCachedStems, stemCacheKey, type StemName } from '@imk/protocol';
import { createBundle } from '@imk/retriever-sdk';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOutput, makeSong } from './helpers.ts';
import { ARTIFACTS, startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const RATE = 44100;
const SECONDS = 3;
const JOB = 'mixer_job_1';
/** One pure tone per stem: what the master analyser hears tells which stems are playing. */
const TONES: Record<StemName, number> = { vocals: 1090, drums: 310, bass: 130, other: 570 };
const ENGINE = { name: 'builtin', version: '1', params: {} };
/** Where config/instrumental-maker.yaml puts the stem cache (relative to the root). */
const STEM_DIR = 'stem-store';

let root: string;
let browser: ImkUpPage;
let url: string;
let page: Page;
let pageErrors: string[];
const stemPcm = {} as Record<StemName, Float32Array>;

/** The stems of job JOB, stored in the stem cache the way the worker stores them (meta.json last). */
async function cacheStems(): Promise<void> {
  const key = stemCacheKey({ inputSha256: 'a'.repeat(64), engine: ENGINE });
  const dir = join(root, STEM_DIR, key);
  await mkdir(dir, { recursive: true });
  const bytes: Record<string, number> = {};
  for (const stem of STEM_NAMES) {
    stemPcm[stem] = Float32Array.from(
      { length: RATE * SECONDS },
      (_, i) => 0.2 * Math.sin((2 * Math.PI * TONES[stem] * i) / RATE),
    );
    const writer = createWavWriter(join(dir, `${stem}.wav`), { sampleRate: RATE, channels: 2 });
    await writer.write([stemPcm[stem], stemPcm[stem]]);
    await writer.close();
    bytes[stem] = (await stat(join(dir, `${stem}.wav`))).size;
  }
  const meta = {
    key,
    input_sha256: 'a'.repeat(64),
    engine: ENGINE,
    sample_rate: RATE,
    frames: RATE * SECONDS,
    bytes,
  };
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta));
}

function sdrDb(reference: Float32Array, estimate: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - (estimate[i] ?? 0)) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

interface Saved {
  path: string;
  variant: string;
  pitch?: number;
  stem_gains?: Record<string, number>;
  gain_db?: number;
}

async function readManifest(jobId: string): Promise<{ artifacts: Saved[] } | undefined> {
  const text = await readFile(join(root, 'outputs', jobId, 'manifest.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { artifacts: Saved[] });
}

/** The artifact of the mix saved as `name`, once the worker has added it to the job's outputs. */
async function savedArtifact(name: string): Promise<Saved> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const artifact = (await readManifest(JOB))?.artifacts.find(
      (a) => a.variant === name || a.variant.startsWith(`${name}@`),
    );
    if (artifact) return artifact;
    if (Date.now() > deadline) throw new Error(`the mix "${name}" did not join the outputs of ${JOB}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The frequency of a pure tone, from its rising zero crossings (the first and last 0.3 s left out). */
function toneHz(samples: Float32Array, rate: number): number {
  const from = Math.round(0.3 * rate);
  const to = samples.length - from;
  let first = -1;
  let last = -1;
  let crossings = 0;
  for (let i = from + 1; i < to; i++) {
    if (samples[i - 1]! < 0 && samples[i]! >= 0) {
      // The crossing's position between the two samples, for sub-sample precision.
      const at = i - 1 + samples[i - 1]! / (samples[i - 1]! - samples[i]!);
      if (first < 0) first = at;
      else crossings++;
      last = at;
    }
  }
  return (crossings * rate) / (last - first);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-mixer-root-'));
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'instrumental-maker.yaml'),
    `output:\n  format: wav\nstemCache:\n  dir: ${STEM_DIR}\n`,
  );
  await makeOutput(root, JOB, { artist: 'Test Artist', title: 'Tone Song' }, ENGINE);
  await cacheStems();
  browser = await startImkUpPage(root, 'instrumental-maker,web', 'imk-up-mixer.log');
  ({ url, page, pageErrors } = browser);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

// A string, not a function: vitest would rewrite a dynamic import() inside a function.
const positions = () =>
  page.evaluate<Record<string, number>>("import('/static/mixer.js').then((m) => m.positions())");
const levels = () =>
  page.evaluate<number[]>(
    `import('/static/mixer.js').then((m) => m.levelsAt(${JSON.stringify(Object.values(TONES))}))`,
  );

describe('the stem mixer in headless Chromium', () => {
  it('plays the stems together, solo changes what is heard, and "Save this mix" renders it from the cache', async () => {
    await page.goto(`${url}#/job/${JOB}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });

    // Plays: every stem's position advances, and all stems are at the same place.
    await page.locator('.mix-play').click();
    await page.waitForTimeout(400);
    const first = await positions();
    await page.waitForTimeout(400);
    const second = await positions();
    expect(Object.keys(second).sort()).toEqual([...STEM_NAMES].sort());
    for (const stem of STEM_NAMES) {
      expect(second[stem]! - first[stem]!).toBeGreaterThan(0.2);
      expect(second[stem]).toBe(second.vocals);
    }

    // Solo bass: the master analyser hears the bass tone only (the others at least 40 dB below).
    const all = await levels();
    for (const level of all) expect(level).toBeGreaterThan(-50);
    await page.locator('.mixer-stem[data-stem="bass"] .solo').click();
    await page.waitForTimeout(300);
    const soloLevels = await levels();
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
    await page.locator('.mix-tempo').fill('1');
    const artifact = await savedArtifact('practice');
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
    const lower = await savedArtifact('lower');
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
    await expect.poll(async () => (await positions()).vocals ?? 0, { timeout: 10_000 }).toBeGreaterThan(0.5);
    expect(await page.locator('.mixer-clip').isVisible()).toBe(false);
    await page.locator('.mix-stop').click();

    await page.getByRole('textbox', { name: 'name of the mix' }).fill('a'.repeat(65));
    await page.locator('.mix-save').click();
    await page.locator('.mixer-status[data-state="failed"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('.mixer-status').textContent()).toContain('at most 64');
    // Said to a screen reader too: the line is a live status, read out when it changes.
    expect(await page.getByRole('status').filter({ hasText: 'at most 64' }).count()).toBe(1);
    await page.getByRole('textbox', { name: 'name of the mix' }).fill('slower');

    // A key field the browser cannot read as a number ("2-", a "-" not followed by the number) has the
    // value '', as an empty field's: the mix was saved at the song's own key. Said, and nothing is queued.
    const key = page.getByRole('spinbutton', { name: 'key change in semitones' });
    await key.fill('');
    await key.pressSequentially('2-');
    expect(await key.evaluate((e: { validity: { badInput: boolean } }) => e.validity.badInput)).toBe(true);
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
    const loud = await savedArtifact('loudest');
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

  it('says so when the worker refuses a saved mix, rather than "saved"', async () => {
    // "no_drum" is written under the job's own no_drums file name. Its manifest does not say the job's format
    // (an earlier manifest): the dashboard cannot tell, the worker (format wav by config) sees the clash. A job
    // of the same song (its stems are those cached above), its files named .wav.
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
    // From a blank page: a change of the hash alone left the last job's mixer on screen until the new one
    // was drawn, so the name was typed into the old mixer and the new one saved its default name (seen in a
    // clean-clone CI run: "my_mix" saved, the page rightly said "Saved").
    await page.goto('about:blank');
    await page.goto(`${url}#/job/${other}`);
    await page.locator('.mixer-stem').nth(3).waitFor({ timeout: 30_000 });
    await page.locator('.mix-name').fill('no_drum');
    expect(await page.locator('.mix-name').inputValue()).toBe('no_drum');
    await page.locator('.mix-save').click();
    await page.locator('.mixer-status[data-state="saving"]').waitFor({ timeout: 10_000 });
    await page.locator('.mixer-status[data-state="failed"]').waitFor({ timeout: 60_000 });
    const text = await page.locator('.mixer-status').textContent();
    expect(text).toContain('The mix "no_drum" was not saved');
    expect(text).toContain('save the mix under another name');
    expect(text).not.toContain('Saved');
    expect(await readFile(join(dir, 'manifest.json'), 'utf8'), 'the job is left as it was').toBe(before);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('says when the stems were cleaned up, and "Separate again" brings the mixer back', async () => {
    // A real song, separated by the worker (builtin engine) into the configured stem cache.
    const song = join(root, 'media', 'song.wav');
    await makeSong(song, 4);
    await createBundle({ jobId: 'real_song', sourceType: 'local', root, queue: 'other' })
      .setTags({ artist: 'Test Artist', album: 'Tests', title: 'Real Song' })
      .addAudio(song)
      .publish();
    await expect
      .poll(async () => (await readManifest('real_song')) !== undefined, { timeout: 90_000 })
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
    const redone = (await readManifest(again)) as { duplicate_of?: string } | undefined;
    expect(redone?.duplicate_of).toBeUndefined();
    expect(await findCachedStems(join(root, STEM_DIR), manifest)).toBeDefined();
    await page.locator('.mix-play').click();
    await page.waitForTimeout(400);
    const first = await positions();
    await page.waitForTimeout(400);
    const second = await positions();
    for (const stem of STEM_NAMES) expect(second[stem]! - first[stem]!).toBeGreaterThan(0.2);
    await page.locator('.mix-stop').click();
    await page.screenshot({ path: join(ARTIFACTS, 'mixer-separate-again.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
