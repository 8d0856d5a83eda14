// What the stem mixer's e2e tests share: a root whose published job JOB has its stems in the worker's stem
// cache (four test tones at distinct frequencies), configured away from its default folder (stemCache.dir),
// as a user with a big disk would: the dashboard must look there. `imk up` (the worker and the web service
// in a real child process) runs on it, with a headless Chromium page on its dashboard.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWavWriter } from '@imk/media';
import { STEM_NAMES, stemCacheKey, type StemName } from '@imk/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { makeOutput } from './helpers.ts';
import { startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

export const RATE = 44100;
export const SECONDS = 3;
export const JOB = 'mixer_job_1';
/** One pure tone per stem: what the master analyser hears tells which stems are playing. */
export const TONES: Record<StemName, number> = { vocals: 1090, drums: 310, bass: 130, other: 570 };
export const ENGINE = { name: 'builtin', version: '1', params: {} };
/** Where config/instrumental-maker.yaml puts the stem cache (relative to the root). */
export const STEM_DIR = 'stem-store';

/** A root with JOB's stems cached, `imk up` on it, and a page on its dashboard. */
export interface MixerRoot extends ImkUpPage {
  root: string;
  /** The samples of each stem (one channel; both are alike). */
  stemPcm: Record<StemName, Float32Array>;
}

/** The stems of job JOB, stored in the stem cache the way the worker stores them (meta.json last). */
async function cacheStems(root: string): Promise<Record<StemName, Float32Array>> {
  const stemPcm = {} as Record<StemName, Float32Array>;
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
  return stemPcm;
}

export function sdrDb(reference: Float32Array, estimate: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - (estimate[i] ?? 0)) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

export interface Saved {
  path: string;
  variant: string;
  pitch?: number;
  stem_gains?: Record<string, number>;
  gain_db?: number;
}

export async function readManifest(root: string, jobId: string): Promise<{ artifacts: Saved[] } | undefined> {
  const text = await readFile(join(root, 'outputs', jobId, 'manifest.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as { artifacts: Saved[] });
}

/** The artifact of the mix saved as `name`, once the worker has added it to the job's outputs. */
export async function savedArtifact(root: string, name: string): Promise<Saved> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const artifact = (await readManifest(root, JOB))?.artifacts.find(
      (a) => a.variant === name || a.variant.startsWith(`${name}@`),
    );
    if (artifact) return artifact;
    if (Date.now() > deadline) throw new Error(`the mix "${name}" did not join the outputs of ${JOB}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The frequency of a pure tone, from its rising zero crossings (the first and last 0.3 s left out). */
export function toneHz(samples: Float32Array, rate: number): number {
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

/** Starts a mixer root: JOB published with its stems cached, `imk up` of the worker and the web service. */
export async function startMixerRoot(log: string): Promise<MixerRoot> {
  const root = await mkdtemp(join(tmpdir(), 'imk-mixer-root-'));
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'instrumental-maker.yaml'),
    `output:\n  format: wav\nstemCache:\n  dir: ${STEM_DIR}\n`,
  );
  await makeOutput(root, JOB, { artist: 'Test Artist', title: 'Tone Song' }, ENGINE);
  const stemPcm = await cacheStems(root);
  const browser = await startImkUpPage(root, 'instrumental-maker,web', log);
  return {
    ...browser,
    root,
    stemPcm,
    close: async () => {
      await browser.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * A mixer root (startMixerRoot) for the tests of a file: started before them, closed after. `use` is given
 * it once started (each file keeps the parts it reads in variables of its own).
 */
export function mixerRootForFile(log: string, use: (mixer: MixerRoot) => void): void {
  let mixer: MixerRoot | undefined;
  beforeAll(async () => {
    mixer = await startMixerRoot(log);
    use(mixer);
  }, 120_000);
  afterAll(async () => {
    await mixer?.close();
  });
}

// A string, not a function: vitest would rewrite a dynamic import() inside a function.
export const positions = (page: Page) =>
  page.evaluate<Record<string, number>>("import('/static/mixer.js').then((m) => m.positions())");
export const levels = (page: Page) =>
  page.evaluate<number[]>(
    `import('/static/mixer.js').then((m) => m.levelsAt(${JSON.stringify(Object.values(TONES))}))`,
  );
