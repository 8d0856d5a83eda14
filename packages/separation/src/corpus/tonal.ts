import type { PcmChannels } from '../engine.ts';
import { midiToHz, progression, type CorpusItemSpec } from './items.ts';
import type { Prng } from './prng.ts';
import { addPanned, silence } from './stereo.ts';

/** One chord per bar: its root as a MIDI note near the tonic, and its triad. */
export function chordAt(spec: CorpusItemSpec, bar: number): { root: number; triad: number[] } {
  const chords = progression(spec.mode);
  const chord = chords[bar % chords.length] ?? { root: 0, minor: false };
  let root = spec.tonic + chord.root;
  while (root > 64) root -= 12; // keep the pad in one comfortable octave whatever the key
  return { root, triad: [root, root + (chord.minor ? 3 : 4), root + 7] };
}

/** A filtered sawtooth bass line in eighth notes: root, sometimes the octave or the fifth. */
export function renderBass(spec: CorpusItemSpec, sampleRate: number, frames: number, rng: Prng): PcmChannels {
  const mono = new Float32Array(frames);
  const eighth = 30 / spec.bpm;
  const steps = Math.ceil(frames / sampleRate / eighth);
  for (let s = 0; s < steps; s++) {
    const { root } = chordAt(spec, Math.floor(s / 8));
    const roll = rng();
    const note = root - 24 + (roll < 0.15 ? 12 : roll < 0.25 ? 7 : 0);
    if (s % 8 === 7 && rng() < 0.4) continue; // a rest before the next bar now and then
    renderSaw(
      mono,
      Math.round(s * eighth * sampleRate),
      Math.round(0.9 * eighth * sampleRate),
      midiToHz(note),
      sampleRate,
      {
        attack: 0.005,
        release: 0.03,
        cutoff: 700,
        gain: 0.8 + 0.2 * rng(),
      },
    );
  }
  const out = silence(frames);
  addPanned(out, mono, spec.pan.bass);
  return out;
}

/** Sustained detuned-saw pad chords spread across the stereo field, plus an optional arpeggio. */
export function renderOther(
  spec: CorpusItemSpec,
  sampleRate: number,
  frames: number,
  rng: Prng,
): PcmChannels {
  const out = silence(frames);
  const bar = 240 / spec.bpm;
  const bars = Math.ceil(frames / sampleRate / bar);
  const notes = 4;
  for (let n = 0; n < notes; n++) {
    const mono = new Float32Array(frames);
    for (let b = 0; b < bars; b++) {
      const { root, triad } = chordAt(spec, b);
      const note = n < 3 ? (triad[n] ?? root) : root + 12;
      const start = Math.round(b * bar * sampleRate);
      const length = Math.round(bar * sampleRate);
      for (const detune of [-0.06, 0.06])
        renderSaw(mono, start, length, midiToHz(note + detune), sampleRate, {
          attack: 0.15,
          release: 0.25,
          cutoff: 1800,
          gain: 0.5,
        });
    }
    const position = (2 * n) / (notes - 1) - 1;
    addPanned(out, mono, spec.pan.otherCentre + spec.pan.otherWidth * position);
  }
  if (spec.arpeggio) {
    const mono = new Float32Array(frames);
    const sixteenth = 15 / spec.bpm;
    const steps = Math.ceil(frames / sampleRate / sixteenth);
    for (let s = 0; s < steps; s++) {
      const { triad } = chordAt(spec, Math.floor(s / 16));
      const note = (triad[s % 3] ?? 60) + 12;
      renderPluck(
        mono,
        Math.round(s * sixteenth * sampleRate),
        midiToHz(note),
        sampleRate,
        0.5 + 0.3 * rng(),
      );
    }
    addPanned(out, mono, spec.pan.otherCentre - spec.pan.otherWidth * 0.6);
  }
  return out;
}

interface SawOptions {
  attack: number;
  release: number;
  /** One-pole low-pass cutoff in Hz. */
  cutoff: number;
  gain: number;
}

function renderSaw(
  target: Float32Array,
  start: number,
  length: number,
  hz: number,
  sampleRate: number,
  options: SawOptions,
): void {
  const releaseFrames = Math.round(options.release * sampleRate);
  const total = Math.min(length + releaseFrames, target.length - start);
  const alpha = 1 - Math.exp((-2 * Math.PI * options.cutoff) / sampleRate);
  let phase = 0;
  let low = 0;
  for (let i = 0; i < total; i++) {
    const t = i / sampleRate;
    const envelope =
      Math.min(1, t / options.attack) * (i < length ? 1 : Math.max(0, 1 - (i - length) / releaseFrames));
    low += alpha * (2 * phase - 1 - low);
    target[start + i] = (target[start + i] ?? 0) + options.gain * envelope * low;
    phase += hz / sampleRate;
    if (phase >= 1) phase -= 1;
  }
}

function renderPluck(
  target: Float32Array,
  start: number,
  hz: number,
  sampleRate: number,
  gain: number,
): void {
  const total = Math.min(Math.round(0.4 * sampleRate), target.length - start);
  for (let i = 0; i < total; i++) {
    const t = i / sampleRate;
    const w = 2 * Math.PI * hz * t;
    target[start + i] =
      (target[start + i] ?? 0) + gain * Math.exp(-t / 0.12) * (Math.sin(w) + 0.3 * Math.sin(2 * w));
  }
}
