import type { PcmChannels } from '../engine.ts';
import type { CorpusItemSpec } from './items.ts';
import { noise, type Prng } from './prng.ts';
import { addPanned, silence } from './stereo.ts';

/** Kick, snare and hi-hats on a four-beat pattern with a little seed-driven variation. */
export function renderDrums(
  spec: CorpusItemSpec,
  sampleRate: number,
  frames: number,
  rng: Prng,
): PcmChannels {
  const kick = new Float32Array(frames);
  const snare = new Float32Array(frames);
  const hats = new Float32Array(frames);
  const beat = 60 / spec.bpm;
  const beats = Math.ceil(frames / sampleRate / beat);
  const extraKickBeat = rng() < 0.5 ? 2 : 3; // one syncopated kick per bar, after this beat, chosen per song
  for (let b = 0; b < beats; b++) {
    const inBar = b % 4;
    const at = (t: number) => Math.round(t * sampleRate);
    const velocity = () => 0.85 + 0.15 * rng();
    if (inBar === 0 || inBar === 2) hit(kick, at(b * beat), sampleRate, velocity(), kickSample);
    if (inBar === extraKickBeat) hit(kick, at((b + 0.5) * beat), sampleRate, 0.7 * velocity(), kickSample);
    if (inBar === 1 || inBar === 3) hit(snare, at(b * beat), sampleRate, velocity(), snareSample(rng));
    const steps = spec.hats === 16 ? 4 : 2;
    for (let s = 0; s < steps; s++) {
      const open = steps === 2 && s === 1 && inBar === 3;
      const accent = s === 0 ? 1 : 0.6;
      hit(hats, at((b + s / steps) * beat), sampleRate, accent * velocity(), hatSample(rng, open));
    }
  }
  const out = silence(frames);
  addPanned(out, kick, 0);
  addPanned(out, snare, spec.pan.hats * -0.2);
  addPanned(out, hats, spec.pan.hats);
  return out;
}

type Voice = (t: number) => number;

function hit(target: Float32Array, start: number, sampleRate: number, gain: number, voice: Voice): void {
  const length = Math.min(Math.round(0.5 * sampleRate), target.length - start);
  for (let i = 0; i < length; i++)
    target[start + i] = (target[start + i] ?? 0) + gain * voice(i / sampleRate);
}

// A sine whose pitch falls from 135 Hz to 45 Hz: the phase is the integral of the frequency sweep.
const kickSample: Voice = (t) => {
  const phase = 2 * Math.PI * (45 * t + 90 * 0.03 * (1 - Math.exp(-t / 0.03)));
  const click = t < 0.002 ? 0.3 * (1 - t / 0.002) : 0;
  return (Math.sin(phase) * Math.exp(-t / 0.22) + click) * (t < 0.45 ? 1 : 0);
};

function snareSample(rng: Prng): Voice {
  let previous = 0;
  return (t) => {
    const white = noise(rng);
    const bright = white - previous; // first difference: tilts the noise towards the highs
    previous = white;
    const tone = 0.45 * Math.sin(2 * Math.PI * 190 * t) * Math.exp(-t / 0.06);
    return t < 0.35 ? tone + 0.55 * bright * Math.exp(-t / 0.1) : 0;
  };
}

function hatSample(rng: Prng, open: boolean): Voice {
  let a = 0;
  let b = 0;
  const decay = open ? 0.12 : 0.025;
  return (t) => {
    const white = noise(rng);
    const high = white - 2 * a + b; // second difference: a steep high-pass for the metallic hiss
    b = a;
    a = white;
    return t < decay * 6 ? 0.25 * high * Math.exp(-t / decay) : 0;
  };
}
