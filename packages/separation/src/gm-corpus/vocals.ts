import type { Prng } from '../corpus/prng.ts';
import { createMidiPart, type MidiPart } from './midi.ts';
import { chordAt, panCc, scaleOf, type SongPlan } from './plan.ts';

/** GM "Choir Aahs" (53) and "Voice Oohs" (54), 0-based. */
export const VOICE_PROGRAMS = [52, 53] as const;
const CH = 0;
const BEND_RANGE = 12;

const RHYTHMS: number[][] = [
  [1, 1, 1, 1],
  [1.5, 0.5, 2],
  [0.5, 0.5, 1, 2],
  [2, 1, 1],
  [1, 0.5, 0.5, 1, 1],
  [3, 1],
  [0.5, 1, 0.5, 2],
];

export interface SpokenWord {
  /** Start, in beats. */
  beat: number;
  text: string;
}

const WORDS = [
  'hold on',
  'tonight',
  'we are the light',
  'come back to me',
  'never again',
  'stay with me',
  'all night long',
  'running away',
  'I know',
  'so far away',
  'let it go',
  'higher',
  'open your eyes',
];

/**
 * The lead voice: a melody per verse and chorus (choruses may repeat theirs, as songs do), sung by a
 * sampled choir or "ooh" voice, with glides between notes and scoops (pitch bend) and a delayed vibrato on
 * held notes; plus a few words for espeak-ng in the gaps between phrases. `shift` moves the melody by
 * that many semitones (GmSongSpec.vocalShift).
 */
export function vocalPart(
  plan: SongPlan,
  rng: Prng,
  shift = 0,
): { part: MidiPart; program: number; words: SpokenWord[] } {
  const part = createMidiPart();
  const program = VOICE_PROGRAMS[rng() < 0.5 ? 0 : 1];
  part.program(CH, program);
  part.bendRange(CH, BEND_RANGE);
  part.control(CH, 7, 110);
  part.control(CH, 10, panCc(plan.vocalPan));
  part.control(CH, 91, plan.reverb ? 40 + 60 * rng() : 0);
  part.control(CH, 93, 0);
  const beatSec = 60 / plan.bpm;
  const vibratoRate = 4.8 + 1.6 * rng();
  const vibratoDepth = 0.2 + 0.3 * rng();
  const scale = scaleOf(plan);
  const home = plan.tonic + 24 + (rng() < 0.5 ? 0 : 5) + shift; // around D4..A4, + a fourth
  const words: SpokenWord[] = [];
  let chorusMelody: { beat: number; beats: number; key: number }[] | undefined;
  let previous: number | undefined;
  let degree = 0;

  for (const section of plan.sections) {
    if (section.kind === 'intro') continue;
    let melody: { beat: number; beats: number; key: number }[] = [];
    const reuse = section.kind === 'chorus' && chorusMelody !== undefined && rng() < 0.6;
    const origin = section.bar * 4;
    if (reuse) {
      const end = (section.bar + section.bars) * 4;
      melody = chorusMelody!.map((n) => ({ ...n, beat: n.beat + origin })).filter((n) => n.beat < end);
    } else {
      for (let b = 0; b < section.bars; b++) {
        const bar = section.bar + b;
        const { chord } = chordAt(plan, bar);
        const rhythm = RHYTHMS[Math.floor(rng() * RHYTHMS.length)]!;
        const resting = b % 2 === 1; // the second bar of each two-bar phrase ends early: a breath
        let at = 0;
        for (const [n, beats] of rhythm.entries()) {
          if (resting && at >= 2.5) break;
          degree = Math.max(-3, Math.min(9, degree + Math.round((rng() * 2 - 1) * 2.4)));
          let key = home + octaveStep(scale, degree);
          // On the beat, lean to a chord tone.
          if (at % 1 === 0 && rng() < 0.6)
            key = nearestChordTone(key, plan.tonic + chord.root, chord.intervals);
          const len = n === rhythm.length - 1 ? beats * 0.95 : beats * (0.85 + 0.13 * rng());
          melody.push({ beat: bar * 4 + at, beats: len, key });
          at += beats;
        }
        if (resting && rng() < 0.45)
          words.push({ beat: bar * 4 + 2.75, text: WORDS[Math.floor(rng() * WORDS.length)]! });
      }
      if (section.kind === 'chorus') chorusMelody = melody.map((n) => ({ ...n, beat: n.beat - origin }));
    }
    for (const note of melody) {
      sing(part, note, previous, beatSec, vibratoRate, vibratoDepth, rng);
      previous = note.key;
    }
  }
  return { part, program, words };
}

function sing(
  part: MidiPart,
  note: { beat: number; beats: number; key: number },
  previous: number | undefined,
  beatSec: number,
  rate: number,
  depth: number,
  rng: Prng,
): void {
  const { beat, beats, key } = note;
  const step = 0.02 / beatSec; // bend updates every 20 ms, in beats
  let from = 0;
  if (previous !== undefined && previous !== key && rng() < 0.55)
    from = Math.max(-BEND_RANGE, Math.min(BEND_RANGE, previous - key));
  else if (rng() < 0.25) from = -1; // a scoop from a semitone below
  const glide = (0.06 + 0.1 * rng()) / beatSec;
  part.bend(CH, beat - 0.001, from / BEND_RANGE);
  part.note(CH, beat, beats, key, 85 + 25 * rng());
  if (from !== 0) {
    for (let t = step; t <= glide; t += step) {
      const x = t / glide;
      part.bend(CH, beat + t, (from * (1 - x * x * (3 - 2 * x))) / BEND_RANGE);
    }
    part.bend(CH, beat + glide, 0);
  }
  const delay = 0.22 / beatSec;
  if (beats > delay + 0.1 / beatSec) {
    for (let t = delay; t < beats; t += step) {
      const onset = Math.min(1, (t - delay) / (0.25 / beatSec));
      const cents = depth * onset * Math.sin(2 * Math.PI * rate * (t - delay) * beatSec);
      part.bend(CH, beat + t, cents / BEND_RANGE);
    }
  }
}

function octaveStep(scale: number[], degree: number): number {
  const n = scale.length;
  const octave = Math.floor(degree / n);
  return octave * 12 + scale[((degree % n) + n) % n]!;
}

function nearestChordTone(key: number, root: number, intervals: number[]): number {
  let best = key;
  let distance = Infinity;
  for (let k = key - 6; k <= key + 6; k++) {
    const pc = (((k - root) % 12) + 12) % 12;
    if (intervals.some((i) => i % 12 === pc) && Math.abs(k - key) < distance) {
      best = k;
      distance = Math.abs(k - key);
    }
  }
  return best;
}
