import { midiToHz, scale, type CorpusItemSpec } from './items.ts';
import { noise, pick, type Prng } from './prng.ts';
import { chordAt } from './tonal.ts';

/** Formant centre frequencies and bandwidths (Hz) of sung vowels. */
const VOWELS: readonly { formants: [number, number][] }[] = [
  {
    formants: [
      [800, 80],
      [1150, 90],
      [2900, 120],
    ],
  }, // a
  {
    formants: [
      [400, 60],
      [1700, 80],
      [2600, 100],
    ],
  }, // e
  {
    formants: [
      [300, 50],
      [2100, 90],
      [2900, 110],
    ],
  }, // i
  {
    formants: [
      [450, 70],
      [800, 80],
      [2830, 100],
    ],
  }, // o
  {
    formants: [
      [325, 50],
      [700, 60],
      [2700, 100],
    ],
  }, // u
];
const FORMANT_GAINS = [1, 0.55, 0.25];

/**
 * A vocal-like line by additive formant synthesis: a melody of chord and scale tones, with vibrato, a
 * vowel per note, a breathy onset and rests between phrases. Mono; the caller pans it to the centre.
 */
export function renderSungVoice(
  spec: CorpusItemSpec,
  sampleRate: number,
  frames: number,
  rng: Prng,
): Float32Array {
  const out = new Float32Array(frames);
  const beat = 60 / spec.bpm;
  const bars = Math.ceil(frames / sampleRate / (4 * beat));
  const degrees = scale(spec.mode);
  let previous = spec.tonic + 7;
  for (let bar = 0; bar < bars; bar++) {
    if (bar % 4 === 3) continue; // breathe every fourth bar
    const { triad } = chordAt(spec, bar);
    const rhythm = pick(rng, [
      [2, 2],
      [1, 1, 2],
      [1.5, 0.5, 2],
      [1, 1, 1, 1],
    ]);
    let beatInBar = 0;
    for (const length of rhythm) {
      const start = (bar * 4 + beatInBar) * beat;
      beatInBar += length;
      if (rng() < 0.15) continue;
      const candidates =
        rng() < 0.75
          ? triad.flatMap((n) => [n, n + 12])
          : degrees.map((d) => spec.tonic + d).flatMap((n) => [n, n + 12]);
      const inRange = candidates.filter((n) => n >= spec.tonic - 2 && n <= spec.tonic + 14);
      const note = inRange.reduce(
        (best, n) => (Math.abs(n - previous) < Math.abs(best - previous) && rng() < 0.7 ? n : best),
        pick(rng, inRange),
      );
      previous = note;
      renderNote(out, start, length * beat * 0.92, note, pick(rng, VOWELS).formants, sampleRate, rng);
    }
  }
  return out;
}

function renderNote(
  target: Float32Array,
  startSeconds: number,
  seconds: number,
  note: number,
  formants: [number, number][],
  sampleRate: number,
  rng: Prng,
): void {
  const start = Math.round(startSeconds * sampleRate);
  const length = Math.min(Math.round(seconds * sampleRate), target.length - start);
  const hz = midiToHz(note);
  const harmonics = Math.max(1, Math.floor(7000 / hz));
  const amplitudes = Array.from({ length: harmonics }, (_, i) => {
    const f = (i + 1) * hz;
    const envelope = formants.reduce(
      (sum, [centre, width], j) => sum + (FORMANT_GAINS[j] ?? 0) / (1 + ((f - centre) / width) ** 2),
      0.02,
    );
    return envelope / Math.sqrt(i + 1);
  });
  const phases = new Float64Array(harmonics);
  const vibratoRate = 5 + rng();
  const attack = 0.06 * sampleRate;
  const release = 0.08 * sampleRate;
  for (let i = 0; i < length; i++) {
    const t = i / sampleRate;
    // Vibrato grows in after the onset, as a singer's does.
    const depth = 0.3 * Math.min(1, Math.max(0, (t - 0.15) / 0.3));
    const f0 = hz * 2 ** ((depth * Math.sin(2 * Math.PI * vibratoRate * t)) / 12);
    let sample = 0;
    for (let k = 0; k < harmonics; k++) {
      const phase = (phases[k] ?? 0) + (2 * Math.PI * (k + 1) * f0) / sampleRate;
      phases[k] = phase;
      sample += (amplitudes[k] ?? 0) * Math.sin(phase);
    }
    const breath = i < 0.03 * sampleRate ? 0.05 * noise(rng) : 0.004 * noise(rng);
    const envelope = Math.min(1, i / attack) * Math.min(1, (length - i) / release);
    target[start + i] = (target[start + i] ?? 0) + envelope * (0.5 * sample + breath);
  }
}
