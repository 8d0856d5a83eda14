import { createHash } from 'node:crypto';
import type { PcmChannels, StemPcm } from '../engine.ts';
import { STEM_SAMPLE_RATE } from '../pcm-source.ts';
import type { BuiltinParams } from './params.ts';
import { separatePcm } from './separate-pcm.ts';

/**
 * A small deterministic multitrack for tests and tuning: a centre-panned harmonic "voice" with vibrato
 * singing a melody that never repeats, chords panned left and right that repeat every two bars, a kick,
 * snare and hi-hat loop, and a bass following the chord roots. Stems are the ground truth; the mixture is
 * their exact sum.
 */
/** What makeTinyMix renders when not told: a 10 s song at 110 bpm, seed 1, the voice unshifted. */
export const TINY_MIX_DEFAULTS = { seconds: 10, seed: 1, bpm: 110, voiceShift: 0 } as const;

export interface TinyMix {
  mixture: PcmChannels;
  stems: StemPcm;
  sampleRate: number;
}

export interface TinyMixOptions {
  /** @default TINY_MIX_DEFAULTS.seconds */
  seconds?: number;
  /** @default STEM_SAMPLE_RATE */
  sampleRate?: number;
  /** Seed of the melody and noise. @default TINY_MIX_DEFAULTS.seed */
  seed?: number;
  /** Tempo in beats per minute. @default TINY_MIX_DEFAULTS.bpm */
  bpm?: number;
  /**
   * Semitones the voice sings above its usual range (A3 to A5); −12 is a baritone's, from A2 (110 Hz),
   * whose fundamental lies below 200 Hz much of the time. @default TINY_MIX_DEFAULTS.voiceShift
   */
  voiceShift?: number;
}

const CHORDS = [
  [57, 60, 64],
  [53, 57, 60],
  [48, 52, 55],
  [55, 59, 62],
]; // Am F C G, MIDI notes
const SCALE = [0, 2, 3, 5, 7, 8, 10]; // A natural minor, semitones above A

export function createTinyMix(options: TinyMixOptions = {}): TinyMix {
  const sr = options.sampleRate ?? STEM_SAMPLE_RATE;
  const frames = Math.round((options.seconds ?? TINY_MIX_DEFAULTS.seconds) * sr);
  const beat = 60 / (options.bpm ?? TINY_MIX_DEFAULTS.bpm);
  const rand = prng(options.seed ?? TINY_MIX_DEFAULTS.seed);
  const stem = (): PcmChannels => [new Float32Array(frames), new Float32Array(frames)];
  const stems: StemPcm = { vocals: stem(), drums: stem(), bass: stem(), other: stem() };

  renderVoice(stems.vocals, sr, beat, rand, options.voiceShift ?? TINY_MIX_DEFAULTS.voiceShift);
  renderChords(stems.other, sr, beat);
  renderBass(stems.bass, sr, beat);
  renderDrums(stems.drums, sr, beat, rand);

  const mixture: PcmChannels = [new Float32Array(frames), new Float32Array(frames)];
  for (const s of [stems.vocals, stems.drums, stems.bass, stems.other]) {
    for (let c = 0; c < 2; c++) {
      const out = mixture[c]!;
      const src = s[c]!;
      for (let i = 0; i < frames; i++) out[i] = out[i]! + src[i]!;
    }
  }
  return { mixture, stems, sampleRate: sr };
}

const hz = (midi: number): number => 440 * 2 ** ((midi - 69) / 12);

function renderVoice(out: PcmChannels, sr: number, beat: number, rand: () => number, shift: number): void {
  const n = out[0]!.length;
  let t = 0.3 * beat;
  let degree = 4;
  while (t < n / sr) {
    const length = beat * (1 + Math.floor(rand() * 3)) * 0.5;
    degree = Math.min(13, Math.max(0, degree + Math.floor(rand() * 5) - 2));
    const midi = 69 + SCALE[degree % 7]! + 12 * Math.floor(degree / 7) - 12 + shift;
    const f0 = hz(midi);
    const start = Math.round(t * sr);
    const end = Math.min(n, Math.round((t + length * 0.9) * sr));
    let phase = 0;
    for (let i = start; i < end; i++) {
      const local = (i - start) / sr;
      const env = Math.min(1, local / 0.04) * Math.min(1, (end - i) / sr / 0.06);
      const f = f0 * (1 + 0.015 * Math.sin(2 * Math.PI * 5.5 * local));
      phase += (2 * Math.PI * f) / sr;
      let v = 0;
      for (let h = 1; h <= 12; h++) {
        const fh = f * h;
        // A formant near 800 Hz and another near 2500 Hz on a falling slope.
        const formant = 1 / (1 + ((fh - 800) / 400) ** 2) + 0.5 / (1 + ((fh - 2500) / 600) ** 2);
        v += ((0.3 / h + formant) / 3) * Math.sin(h * phase);
      }
      const s = 0.22 * env * v;
      out[0]![i] = s;
      out[1]![i] = s;
    }
    t += length + (rand() < 0.2 ? beat : 0);
  }
}

function renderChords(out: PcmChannels, sr: number, beat: number): void {
  const n = out[0]!.length;
  const bar = 4 * beat;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const chord = CHORDS[Math.floor(t / bar) % CHORDS.length]!;
    const inBar = t % bar;
    const env = Math.min(1, inBar / 0.05) * (0.6 + 0.4 * Math.exp(-inBar * 1.5));
    for (let j = 0; j < chord.length; j++) {
      const f = hz(chord[j]!);
      let v = 0;
      for (let h = 1; h <= 6; h++) v += Math.sin(2 * Math.PI * f * h * t) / (h * h);
      const pan = j === 1 ? 0.8 : 0.25; // middle note to the right, the others to the left
      out[0]![i] = out[0]![i]! + 0.05 * env * v * Math.sqrt(1 - pan);
      out[1]![i] = out[1]![i]! + 0.05 * env * v * Math.sqrt(pan);
    }
  }
}

function renderBass(out: PcmChannels, sr: number, beat: number): void {
  const n = out[0]!.length;
  const bar = 4 * beat;
  const eighth = beat / 2;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    const root = CHORDS[Math.floor(t / bar) % CHORDS.length]![0]! - 24;
    const local = t % eighth;
    const env = Math.min(1, local / 0.01) * Math.exp(-local * 4);
    const f = hz(root);
    const v = 0.25 * env * (Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t));
    out[0]![i] = v;
    out[1]![i] = v;
  }
}

function renderDrums(out: PcmChannels, sr: number, beat: number, rand: () => number): void {
  const n = out[0]!.length;
  const hit = (at: number, length: number, pan: number, sample: (t: number) => number): void => {
    const start = Math.round(at * sr);
    const end = Math.min(n, start + Math.round(length * sr));
    for (let i = start; i < end; i++) {
      const v = sample((i - start) / sr);
      out[0]![i] = out[0]![i]! + v * Math.sqrt(1 - pan);
      out[1]![i] = out[1]![i]! + v * Math.sqrt(pan);
    }
  };
  const noise = Float32Array.from({ length: Math.round(0.3 * sr) }, () => rand() * 2 - 1);
  const kick = (t: number): number =>
    0.5 * Math.exp(-t * 18) * Math.sin(2 * Math.PI * (50 * t + 2.2 * (1 - Math.exp(-t * 30)) * 1.5));
  const snare = (t: number): number =>
    Math.exp(-t * 22) * (0.25 * noise[Math.floor(t * sr)]! + 0.15 * Math.sin(2 * Math.PI * 190 * t));
  let prev = 0;
  const hat = (t: number): number => {
    const x = noise[Math.floor(t * sr) + 1000]!;
    const v = x - prev; // first difference: a crude high-pass
    prev = x;
    return 0.08 * Math.exp(-t * 60) * v;
  };
  for (let b = 0; b * beat < n / sr; b++) {
    const t = b * beat;
    if (b % 2 === 0) hit(t, 0.35, 0.5, kick);
    else hit(t, 0.25, 0.5, snare);
    hit(t, 0.08, 0.65, hat);
    hit(t + beat / 2, 0.08, 0.65, hat);
  }
}

/** Mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The sha256 of the four stems the builtin engine gives for a mix with these parameters (float32 samples,
 * vocals, drums, bass, other, each channel in turn): tests pin an engine's output to the bit with it.
 */
export function stemDigest(
  mix: TinyMix,
  params: Partial<BuiltinParams> = {},
  options: Parameters<typeof separatePcm>[3] = {},
): string {
  const est = separatePcm(mix.mixture, mix.sampleRate, params, options);
  const hash = createHash('sha256');
  for (const name of ['vocals', 'drums', 'bass', 'other'] as const)
    for (const channel of est[name])
      hash.update(Buffer.from(channel.buffer, channel.byteOffset, channel.byteLength));
  return hash.digest('hex');
}
