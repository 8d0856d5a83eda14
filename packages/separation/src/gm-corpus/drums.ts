import type { Prng } from '../corpus/prng.ts';
import { createMidiPart, type MidiPart } from './midi.ts';
import { panCc, type GmStyle, type SongPlan } from './plan.ts';

const CH = 9;
const KICK = 36;
const SNARE = 38;
const STICK = 37;
const CLAP = 39;
const HAT = 42;
const PEDAL = 44;
const OPEN = 46;
const CRASH = 49;
const RIDE = 51;
const TOMS = [50, 48, 47, 45, 43];

/** GM drum kits (program on channel 10) each style may use. */
const KITS: Record<GmStyle, number[]> = {
  rock: [0, 16, 8],
  pop: [0, 8],
  ballad: [40, 0],
  electronic: [25, 24],
  jazz: [32, 40],
};

interface Hit {
  /** Position in the bar, in beats (eighth positions are swung). */
  at: number;
  key: number;
  velocity: number;
}

/** One bar's groove per style; `variant` picks between a few per style. */
function groove(style: GmStyle, variant: number): Hit[] {
  const hits: Hit[] = [];
  const add = (at: number, key: number, velocity: number) => hits.push({ at, key, velocity });
  switch (style) {
    case 'rock':
      for (let e = 0; e < 8; e++) add(e / 2, variant === 1 ? RIDE : HAT, e % 2 === 0 ? 90 : 70);
      for (const b of variant === 2 ? [0, 1.5, 2, 2.5] : [0, 2, 2.5]) add(b, KICK, 110);
      for (const b of [1, 3]) add(b, SNARE, 115);
      break;
    case 'pop':
      for (let s = 0; s < 16; s++) add(s / 4, HAT, s % 4 === 0 ? 80 : s % 2 === 0 ? 65 : 45);
      for (const b of variant === 1 ? [0, 0.75, 2, 2.75] : [0, 1.5, 2]) add(b, KICK, 105);
      for (const b of [1, 3]) add(b, variant === 2 ? CLAP : SNARE, 105);
      break;
    case 'ballad':
      for (let e = 0; e < 8; e++) add(e / 2, variant === 1 ? RIDE : HAT, e % 2 === 0 ? 60 : 40);
      add(0, KICK, 90);
      add(2.5, KICK, 70);
      for (const b of [1, 3]) add(b, variant === 2 ? STICK : SNARE, 80);
      break;
    case 'electronic':
      for (const b of [0, 1, 2, 3]) add(b, KICK, 120);
      for (const b of [0.5, 1.5, 2.5, 3.5]) add(b, OPEN, 75);
      for (let s = 0; s < 16; s += 2) add(s / 4, HAT, 55);
      for (const b of [1, 3]) add(b, variant === 1 ? SNARE : CLAP, 100);
      break;
    case 'jazz':
      for (const b of [0, 1, 1.5, 2, 3, 3.5]) add(b, RIDE, b % 1 === 0 ? 85 : 60);
      for (const b of [1, 3]) add(b, PEDAL, 60);
      add(variant === 1 ? 2.5 : 3.5, SNARE, 45);
      add(0, KICK, 50);
      break;
  }
  return hits;
}

/** The drum part: a groove per section, a fill into each new section, a crash on its first beat. */
export function drumPart(plan: SongPlan, rng: Prng): { part: MidiPart; kit: number } {
  const part = createMidiPart();
  const kits = KITS[plan.style];
  const kit = kits[Math.floor(rng() * kits.length)]!;
  part.program(CH, kit);
  part.control(CH, 7, 100);
  part.control(CH, 10, panCc(0));
  part.control(CH, 91, plan.reverb ? 15 + 30 * rng() : 0);
  part.control(CH, 93, 0);
  const swingAt = (at: number) => {
    const beat = Math.floor(at);
    return at - beat === 0.5 ? beat + plan.swing : at;
  };
  for (const section of plan.sections) {
    const variant = Math.floor(rng() * 3);
    const hits = groove(plan.style, section.kind === 'intro' ? 0 : variant);
    for (let b = 0; b < section.bars; b++) {
      const bar = section.bar + b;
      const last = b === section.bars - 1 && bar < plan.bars - 1;
      for (const hit of hits) {
        if (last && hit.at >= 2 && plan.style !== 'electronic') continue;
        const beat = bar * 4 + swingAt(hit.at) + 0.01 * (rng() * 2 - 1);
        part.note(CH, beat, 0.25, hit.key, hit.velocity + 12 * (rng() * 2 - 1));
      }
      if (b === 0 && section.bar > 0) part.note(CH, bar * 4, 1, CRASH, 100);
      if (last) fill(part, plan, bar, rng);
    }
  }
  return { part, kit };
}

function fill(part: MidiPart, plan: SongPlan, bar: number, rng: Prng): void {
  const start = bar * 4 + 2;
  if (plan.style === 'electronic') {
    for (let s = 0; s < 8; s++) part.note(CH, start + s / 4, 0.2, SNARE, 50 + 8 * s);
    return;
  }
  const steps = plan.style === 'jazz' || plan.style === 'ballad' ? 4 : 8;
  for (let s = 0; s < steps; s++) {
    const key =
      s < 2 ? SNARE : TOMS[Math.min(TOMS.length - 1, Math.floor(((s - 2) * TOMS.length) / (steps - 2)))]!;
    part.note(CH, start + (2 * s) / steps, 0.2, key, 85 + 20 * rng());
  }
}
