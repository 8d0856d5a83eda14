// Fits the weights of the soft vocal fusion (src/builtin/vocal-fusion.ts). The engine runs each song with
// the given parameters, and for every 2nd frame and every vocal-band bin the fusion's features are paired
// with the ideal ratio from the true stems in the same STFT frame. A weighted logistic regression (Newton's
// method, a little L2) then fits σ(w · φ) to that ratio.
//   IMK_CORPUS_DIR=/tmp/builtin-corpus node --import tsx packages/separation/bench/fit-fusion.ts \
//     [--fit-songs N] [--fit-procedural N] [--per-song] [--alt-soundfont PATH --alt-songs N] [--only id,…] \
//     [--exclude id,…] [--drop feature,…] [--params '{…}'] [--seconds S] [--excerpt S] \
//     [--weight power|cube|mag|flat] [--target power|mag] [--frame-step 2]
// Songs: the General MIDI `tune` songs, or with `--fit-songs N` N fresh songs per style from seeds no corpus
// song uses, so that the tune songs can check the fit; `--fit-procedural N` adds N songs of the older
// procedural generator (src/corpus) from seeds its 6 corpus songs do not use (`--fit-songs 0 --fit-procedural
// N`: those alone, to check a fit on the other generator). Never a test song. The shipped weights (1.7.0):
// `--fit-songs 8 --fit-procedural 20 --per-song --drop octave,octave2,foregroundOctave,centre,coherence,
// absPan,foregroundCentre,frameForeground`. Each bin is weighted by the mixture's
// power there (`--weight`; `--per-song` then scales each song's weights to the same total per bin, so a loud
// song counts no more than a quiet one), and the target is |V|² / (|V|² + |A|²) (`--target mag`:
// |V| / (|V| + |A|)).
// Prints the weights as JSON (one number per FUSION_FEATURES entry, in order; a dropped feature's is 0).
import { readWavFile } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { separatePcm, type BuiltinParams } from '../src/builtin/index.ts';
import { FUSION_FEATURE_COUNT, FUSION_FEATURES } from '../src/builtin/vocal-fusion.ts';
import { createRealFft } from '../src/dsp/fft.ts';
import { hannWindow } from '../src/dsp/stft-window.ts';
import { addMagnitudes } from '../src/builtin/spectrum.ts';
import type { PcmChannels } from '../src/engine.ts';
import { ensureGmCorpus } from '../src/gm-corpus/corpus.ts';
import { GM_STYLES } from '../src/gm-corpus/plan.ts';
import { GM_SONGS, type GmSongSpec } from '../src/gm-corpus/songs.ts';
import { ensureCorpus } from '../src/corpus/corpus.ts';
import { CORPUS_ITEMS, type CorpusItemSpec } from '../src/corpus/items.ts';
import { createPrng, pick } from '../src/corpus/prng.ts';
import { resolveBuiltinParams } from '../src/builtin/params.ts';
import { jsonOption, oneOf, positiveNumber, readOptions, wholeNumber } from './cli-options.ts';
import { middleExcerpt, sumChannels } from './score.ts';

const RATE = 44100;
const { values: opts } = readOptions({
  params: { type: 'string' },
  only: { type: 'string' },
  exclude: { type: 'string' },
  seconds: { type: 'string' },
  excerpt: { type: 'string' },
  weight: { type: 'string' },
  target: { type: 'string' },
  'frame-step': { type: 'string' },
  'per-song': { type: 'boolean' },
  drop: { type: 'string' },
  'fit-songs': { type: 'string' },
  'fit-procedural': { type: 'string' },
  'alt-soundfont': { type: 'string' },
  'alt-songs': { type: 'string' },
  l2: { type: 'string' },
});
const params = jsonOption<Partial<BuiltinParams>>('params', opts.params) ?? {};
const only = opts.only?.split(',');
const exclude = opts.exclude?.split(',') ?? [];
const seconds = positiveNumber('seconds', opts.seconds);
// `--excerpt S`: the engine sees S seconds from the middle of each song (every generator's), as tune-gm.ts's
// `--excerpt` scores them: the fusion's features on a short song (REPET-SIM's spacing shrinks).
const excerpt = positiveNumber('excerpt', opts.excerpt);
const weighting = oneOf('weight', opts.weight, ['power', 'cube', 'mag', 'flat'], 'power');
const target = oneOf('target', opts.target, ['power', 'mag'], 'power');
const frameStep = wholeNumber('frame-step', opts['frame-step'], 2);
if (frameStep < 1) throw new Error('--frame-step: at least 1');
const perSong = opts['per-song'] === true;
// `--drop a,b`: leave these features out (their weights stay 0). A name that is not a feature is an error,
// not a fit that silently keeps the feature.
const dropped = new Set(
  (opts.drop?.split(',') ?? []).map((name) => {
    const index = FUSION_FEATURES.indexOf(name as never);
    if (index < 0) throw new Error(`--drop: no feature "${name}" (features: ${FUSION_FEATURES.join(', ')})`);
    return index;
  }),
);
/** N General MIDI songs per style for fitting, `<prefix>-<style>-<n>` from seed base + 100·style + n. */
const fitSongSpecs = (prefix: string, seedBase: number, perStyle: number): GmSongSpec[] =>
  GM_STYLES.flatMap((style, s) =>
    Array.from({ length: perStyle }, (_, n) => ({
      id: `${prefix}-${style}-${n + 1}`,
      seed: seedBase + 100 * s + n,
      style,
      seconds: 24,
      split: 'tune' as const,
    })),
  );
// `--fit-songs N`: fit on N fresh songs per style instead, drawn from seeds no corpus song uses (20000 +
// 100·style + n), so that the 10 `tune` songs stay out of the fit and can check it (`--only` still filters).
// `--fit-songs 0`: no General MIDI song (with `--fit-procedural`, a fit on the procedural generator alone).
const fitSongs = wholeNumber('fit-songs', opts['fit-songs']);
const pool: GmSongSpec[] =
  fitSongs === undefined
    ? GM_SONGS.filter((s) => s.split === 'tune')
    : fitSongSpecs('gm-fit', 20_000, fitSongs);
const songs = pool
  .filter((s) => (only === undefined || only.includes(s.id)) && !exclude.includes(s.id))
  .map((s) => (seconds === undefined ? s : { ...s, seconds }));
// `--fit-procedural N`: also N songs of the older procedural generator (src/corpus: formant or espeak-ng
// voices, synthesised drums, pad and arpeggio), their specs drawn from seeds 30000 + n, so that the fit
// sees two generators and leans less on what only one of them does. The corpus's own 6 items stay out.
// What the spoken fit songs say: the corpus songs' lyrics (so three of the four are the check songs'), and one more.
const LYRICS = [
  ...CORPUS_ITEMS.map((item) => item.lyrics).filter((lyrics) => lyrics !== ''),
  'Call my name across the water. Every wave is running shorter. Take me home and hold me closer.',
];
const procedural: CorpusItemSpec[] = Array.from(
  { length: wholeNumber('fit-procedural', opts['fit-procedural'], 0) },
  (_, n) => {
    const rng = createPrng(30_000 + n);
    const mode = rng() < 0.5 ? 'major' : 'minor';
    const side = () => (rng() < 0.5 ? -1 : 1);
    const voice = rng() < 0.5 ? 'speech' : 'sung';
    return {
      id: `fit-procedural-${n + 1}`,
      seed: 30_000 + n,
      tonic: 52 + Math.floor(rng() * 14),
      mode,
      bpm: Math.round(80 + 60 * rng()),
      seconds: 16,
      pan: {
        hats: side() * (0.2 + 0.3 * rng()),
        bass: side() * 0.1 * rng(),
        otherCentre: side() * 0.35 * rng(),
        otherWidth: 0.4 + 0.5 * rng(),
      },
      voice,
      arpeggio: rng() < 0.5,
      hats: rng() < 0.5 ? 8 : 16,
      lyrics: voice === 'speech' ? pick(rng, LYRICS) : '',
    } satisfies CorpusItemSpec;
  },
);
// `--alt-soundfont PATH --alt-songs N`: also N General MIDI songs per style rendered with another
// soundfont (other instruments' samples), from seeds 20050 + 100·style + n.
const altSoundfont = opts['alt-soundfont'];
if (opts['alt-songs'] !== undefined && altSoundfont === undefined) {
  throw new Error('--alt-songs needs --alt-soundfont <path of a soundfont>');
}
const altSongs = fitSongSpecs('gm-fit-alt', 20_050, wholeNumber('alt-songs', opts['alt-songs'], 0));
const items = [
  ...(await ensureGmCorpus({ songs })),
  ...(altSongs.length > 0
    ? await ensureGmCorpus({ songs: altSongs, env: { ...process.env, IMK_SOUNDFONT: altSoundfont } })
    : []),
  ...(procedural.length > 0 ? await ensureCorpus({ items: procedural }) : []),
];

const p = resolveBuiltinParams(params);
const N = p.fftSize;
const H = p.hop;
const overlap = N / H;
const bins = N / 2 + 1;
const fft = createRealFft(N);
const window = hannWindow(N);
const F = FUSION_FEATURE_COUNT;

// Samples in flat typed arrays that double as they fill (tens of millions of bins: arrays of arrays ran out
// of heap at 40 songs): features as the engine computed them (float32), targets and weights as doubles.
let X = new Float32Array(F << 16);
let targets = new Float64Array(1 << 16);
let weights = new Float64Array(1 << 16);
let samples = 0;
const grow = (): void => {
  const bigger = <T extends Float32Array | Float64Array>(a: T, make: (n: number) => T): T => {
    const b = make(a.length * 2);
    b.set(a);
    return b;
  };
  X = bigger(X, (n) => new Float32Array(n));
  targets = bigger(targets, (n) => new Float64Array(n));
  weights = bigger(weights, (n) => new Float64Array(n));
};

const frame = new Float32Array(N);
const spectrum = new Float32Array(N);
/** Σ over channels of |STFT| of `signal` in frame f (frame f covers [(f − overlap + 1)·H, (f + 1)·H)). */
const frameMagnitudes = (signal: PcmChannels, f: number, out: Float32Array): void => {
  out.fill(0);
  const from = (f - overlap + 1) * H;
  for (const ch of signal) {
    for (let i = 0; i < N; i++) {
      const at = from + i;
      frame[i] = at >= 0 && at < ch.length ? ch[at]! : 0;
    }
    fft.forwardWindowed(frame, window, spectrum);
    addMagnitudes(spectrum, out, bins);
  }
};

for (const item of items) {
  const read = async (path: string): Promise<PcmChannels> =>
    middleExcerpt((await readWavFile(path)).channels, excerpt, RATE);
  const truth = Object.fromEntries(
    await Promise.all(STEM_NAMES.map(async (n) => [n, await read(item.stems[n])] as const)),
  ) as Record<(typeof STEM_NAMES)[number], PcmChannels>;
  const mixture = await read(item.mixture);
  const accompaniment = sumChannels(truth.drums, truth.bass, truth.other);
  const v = new Float32Array(bins);
  const a = new Float32Array(bins);
  let count = 0;
  separatePcm(mixture, RATE, params, {
    observe(frame, features, magnitudes, binLo, binHi) {
      if (frame % frameStep !== 0) return;
      frameMagnitudes(truth.vocals, frame, v);
      frameMagnitudes(accompaniment, frame, a);
      for (let k = binLo, at = 0; k < binHi; k++, at += F) {
        const vk = target === 'power' ? v[k]! * v[k]! : v[k]!;
        const total = vk + (target === 'power' ? a[k]! * a[k]! : a[k]!);
        const mag = magnitudes[k]!;
        if (total <= 0 || mag <= 0) continue;
        if (samples === targets.length) grow();
        for (let i = 0; i < F; i++) X[samples * F + i] = dropped.has(i) ? 0 : features[at + i]!;
        targets[samples] = vk / total;
        weights[samples] =
          weighting === 'cube'
            ? mag * mag * mag
            : weighting === 'power'
              ? mag * mag
              : weighting === 'flat'
                ? 1
                : mag;
        samples++;
        count++;
      }
    },
  });
  if (perSong && count > 0) {
    // `--per-song`: each song's weights sum to its number of bins, so a loud song counts no more than a quiet one.
    let sum = 0;
    for (let n = samples - count; n < samples; n++) sum += weights[n]!;
    for (let n = samples - count; n < samples; n++) weights[n] = (weights[n]! * count) / sum;
  }
  console.error(`${item.id}: ${count} bins`);
}

// Normalise the sample weights to sum to the number of samples (so the L2 term means the same at any scale).
let total = 0;
for (let n = 0; n < samples; n++) total += weights[n]!;
for (let n = 0; n < samples; n++) weights[n] = (weights[n]! * samples) / total;

const w = new Array<number>(F).fill(0);
// `--l2 X`: the L2 penalty per sample (default 1e-3).
const lambda = positiveNumber('l2', opts.l2, 1e-3) * samples;
for (let iter = 0; iter < 25; iter++) {
  const grad = new Array<number>(F).fill(0);
  const hess = Array.from({ length: F }, () => new Array<number>(F).fill(0));
  let loss = 0;
  for (let n = 0; n < samples; n++) {
    const base = n * F;
    let z = 0;
    for (let i = 0; i < F; i++) z += w[i]! * X[base + i]!;
    const q = 1 / (1 + Math.exp(-z));
    const t = targets[n]!;
    const sw = weights[n]!;
    loss -= sw * (t * Math.log(q + 1e-12) + (1 - t) * Math.log(1 - q + 1e-12));
    const r = sw * (q - t);
    const c = sw * q * (1 - q);
    for (let i = 0; i < F; i++) {
      grad[i] = grad[i]! + r * X[base + i]!;
      const row = hess[i]!;
      const ci = c * X[base + i]!;
      for (let j = 0; j <= i; j++) row[j] = row[j]! + ci * X[base + j]!;
    }
  }
  for (let i = 0; i < F; i++) {
    for (let j = 0; j < i; j++) hess[j]![i] = hess[i]![j]!;
    if (i > 0) {
      grad[i] = grad[i]! + lambda * w[i]!;
      hess[i]![i] = hess[i]![i]! + lambda;
    }
  }
  const step = solve(hess, grad);
  let size = 0;
  for (let i = 0; i < F; i++) {
    w[i] = w[i]! - step[i]!;
    size = Math.max(size, Math.abs(step[i]!));
  }
  console.error(
    `iteration ${iter}: loss per sample ${(loss / samples).toFixed(5)}, step ${size.toExponential(2)}`,
  );
  if (size < 1e-5) break;
}
console.error(Object.fromEntries(FUSION_FEATURES.map((name, i) => [name, Math.round(w[i]! * 1e4) / 1e4])));
console.log(JSON.stringify(w.map((x) => Math.round(x * 1e5) / 1e5)));

/** Solves A x = b by Gaussian elimination with partial pivoting (A is small and positive definite). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const m = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}
