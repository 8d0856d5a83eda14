// The stem mixer on the job page, in real headless Chromium against `imk up` (the worker and the web
// service in a real child process): the stems of a published job sit in the worker's stem cache (four test
// tones at distinct frequencies), the page plays them through Web Audio, solo changes what the master
// analyser hears, and "Save this mix" makes the worker render the mix from the cache into the job's outputs,
// at its levels and in another key. The stem cache is configured away from its default folder (stemCache.dir),
// as a user with a big disk would: the dashboard must look there. A job whose stems were cleaned up says so,
// and "Separate again" brings them back through a real separation by the worker. The same page cancels a
// queued job and a running one (issue 17's "cancel from the dashboard", in Chromium).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createWavWriter, readWavFile } from '@imk/media';
import { STEM_NAMES, findCachedStems, stemCacheKey, type StemName } from '@imk/protocol';
import { createBundle } from '@imk/retriever-sdk';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOutput, makeSong } from './helpers.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const ARTIFACTS = join(REPO, 'test-artifacts', 'web-e2e');
const IMK = join(REPO, 'node_modules', '.bin', 'imk');
const RATE = 44100;
const SECONDS = 3;
const JOB = 'mixer_job_1';
/** One pure tone per stem: what the master analyser hears tells which stems are playing. */
const TONES: Record<StemName, number> = { vocals: 1090, drums: 310, bass: 130, other: 570 };
const ENGINE = { name: 'builtin', version: '1', params: {} };
/** Where config/instrumental-maker.yaml puts the stem cache (relative to the root). */
const STEM_DIR = 'stem-store';

let root: string;
let profile: string;
let up: ChildProcess;
let upExit: Promise<number | null>;
let url: string;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const stemPcm = {} as Record<StemName, Float32Array>;

async function startImkUp(): Promise<string> {
  up = spawn(
    process.execPath,
    [IMK, 'up', '--root', root, '--port', '0', '--only', 'instrumental-maker,web'],
    {
      env: { ...process.env, IMK_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  up.stderr!.pipe(createWriteStream(join(ARTIFACTS, 'imk-up-mixer.log')));
  upExit = new Promise((resolve) => up.once('exit', (code) => resolve(code)));
  return new Promise<string>((resolve, reject) => {
    let out = '';
    up.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    void upExit.then((code) => reject(new Error(`imk up exited (${code}); see imk-up-mixer.log`)));
  });
}

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
  await mkdir(ARTIFACTS, { recursive: true });
  root = await mkdtemp(join(tmpdir(), 'imk-mixer-root-'));
  profile = await mkdtemp(join(tmpdir(), 'imk-mixer-chromium-'));
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'instrumental-maker.yaml'),
    `output:\n  format: wav\nstemCache:\n  dir: ${STEM_DIR}\n`,
  );
  await makeOutput(root, JOB, { artist: 'Test Artist', title: 'Tone Song' }, ENGINE);
  await cacheStems();
  url = await startImkUp();
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      '--mute-audio',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (up && up.exitCode === null) {
    up.kill('SIGKILL');
    await upExit;
  }
  await rm(root, { recursive: true, force: true });
  await rm(profile, { recursive: true, force: true });
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
    await page.locator('.mix-save').click();
    await page.locator('.mixer-status[data-job]').waitFor({ timeout: 10_000 });
    await page.locator('.mix-stop').click();

    const firstSave = await page.locator('.mixer-status').getAttribute('data-job');
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
    await page.locator('.mix-save').click();
    await expect
      .poll(() => page.locator('.mixer-status').getAttribute('data-job'), { timeout: 10_000 })
      .not.toBe(firstSave);
    const lower = await savedArtifact('lower');
    expect(lower.path).toBe('files/audio/Test Artist - Tone Song (lower) (-2 semitones).wav');
    expect(lower.pitch).toBe(-2);
    expect(lower.stem_gains).toEqual({ vocals: 0, drums: 0, bass: 0, other: 1 });
    const transposed = await readWavFile(join(root, 'outputs', JOB, lower.path));
    const hz = toneHz(transposed.channels[0]!, transposed.sampleRate);
    expect(Math.abs(12 * Math.log2(hz / TONES.other) - -2)).toBeLessThan(0.05);
    expect(transposed.frames / transposed.sampleRate).toBeCloseTo(SECONDS, 1);
    await page.screenshot({ path: join(ARTIFACTS, 'mixer.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 180_000);

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
    // A finished job cannot be cancelled: the page offers no cancel.
    expect(await page.locator('#cancel-box').isVisible()).toBe(false);

    await page.locator('.mix-separate-again').click();
    await page.locator('.mixer-again-status[data-job]').waitFor({ timeout: 10_000 });
    const again = (await page.locator('.mixer-again-status').getAttribute('data-job'))!;
    expect(again).toMatch(/^real_song_again_/);
    expect(await page.locator('.mixer-again-status').textContent()).toContain(again);

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
    const cacheBefore = (await readdir(join(root, STEM_DIR))).sort();
    const song = join(root, 'media', 'long.wav');
    await makeSong(song, 60);
    await createBundle({ jobId: 'long_job', sourceType: 'local', root, queue: 'other' })
      .setTags({ artist: 'Test Artist', title: 'Long Song' })
      .addAudio(song)
      .publish();
    await page.goto(`${url}#/job/long_job`);
    await page.locator('#job-state.running').waitFor({ timeout: 60_000 });
    await page.locator('#cancel-box').waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator('#cancel-reason').fill('wrong take');
    await page.locator('#cancel-button').click();
    await page.locator('#job-state.cancelled').waitFor({ timeout: 60_000 });
    expect(await page.locator('#job-error').textContent()).toContain('wrong take');

    const queue = join(root, 'queues', 'other');
    const record = JSON.parse(
      await readFile(join(queue, 'cancelled', 'job_long_job', 'imk-cancel.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(record).toMatchObject({ reason: 'wrong take', was: 'running' });
    expect(await readdir(join(queue, 'claimed'))).toEqual([]);
    const outputs = await readdir(join(root, 'outputs'));
    expect(outputs.filter((name) => name.includes('long_job'))).toEqual([]);
    expect((await readdir(join(root, STEM_DIR))).sort()).toEqual(cacheBefore);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
