import { pick, type Prng } from '../corpus/prng.ts';
import { createMidiPart, type MidiPart } from './midi.ts';
import { chordAt, panCc, type Chord, type GmStyle, type SongPlan } from './plan.ts';

const BASS_PROGRAMS: Record<GmStyle, number[]> = {
  rock: [33, 34],
  pop: [33, 38, 36],
  ballad: [35, 33],
  electronic: [38, 39],
  jazz: [32],
};

/** Accompanying instruments: [GM program, role] choices per style; a song takes 2 to 4 of them. */
type Role = 'strum' | 'power' | 'block' | 'arpeggio' | 'sustain' | 'comp' | 'sequence';
const OTHER: Record<GmStyle, [number, Role][]> = {
  rock: [
    [30, 'power'],
    [29, 'power'],
    [27, 'strum'],
    [0, 'block'],
    [16, 'sustain'],
    [25, 'strum'],
  ],
  pop: [
    [0, 'block'],
    [4, 'block'],
    [27, 'arpeggio'],
    [89, 'sustain'],
    [48, 'sustain'],
    [24, 'strum'],
  ],
  ballad: [
    [0, 'arpeggio'],
    [48, 'sustain'],
    [49, 'sustain'],
    [88, 'sustain'],
    [46, 'arpeggio'],
    [24, 'arpeggio'],
  ],
  electronic: [
    [90, 'sustain'],
    [81, 'sequence'],
    [80, 'sequence'],
    [88, 'sustain'],
    [62, 'block'],
    [5, 'arpeggio'],
  ],
  jazz: [
    [0, 'comp'],
    [26, 'comp'],
    [11, 'arpeggio'],
    [4, 'comp'],
    [65, 'sustain'],
  ],
};

export interface HarmonyParts {
  bass: MidiPart;
  other: MidiPart;
  programs: { bass: number; other: number[] };
}

export function harmonyParts(plan: SongPlan, rng: Prng): HarmonyParts {
  const bass = createMidiPart();
  const bassProgram = pick(rng, BASS_PROGRAMS[plan.style]);
  setUp(bass, 2, bassProgram, 0.15 * (rng() * 2 - 1), plan.reverb ? 10 : 0);
  for (let bar = 0; bar < plan.bars; bar++) bassBar(bass, plan, bar, rng);

  const other = createMidiPart();
  const choices = [...OTHER[plan.style]];
  const count = 2 + Math.floor(rng() * 3);
  const programs: number[] = [];
  for (let n = 0; n < count && choices.length > 0; n++) {
    const [program, role] = choices.splice(Math.floor(rng() * choices.length), 1)[0]!;
    const channel = 3 + n;
    const pan = (n % 2 === 0 ? -1 : 1) * (0.2 + 0.6 * rng());
    setUp(other, channel, program, pan, plan.reverb ? 20 + 50 * rng() : 0);
    programs.push(program);
    const velocity = 70 + 30 * rng();
    const octave = role === 'power' ? 12 : 24 + (rng() < 0.5 ? 0 : 12);
    // Some parts sit out the intro or the verses, as arrangements build up.
    const skip = rng() < 0.4 ? (rng() < 0.5 ? 'intro' : 'verse') : undefined;
    for (let bar = 0; bar < plan.bars; bar++) {
      const { chord, section } = chordAt(plan, bar);
      if (section.kind === skip) continue;
      const root = plan.tonic + octave + chord.root;
      playRole(other, channel, role, bar * 4, root, chord, velocity, plan, rng);
    }
  }
  return { bass, other, programs: { bass: bassProgram, other: programs } };
}

function setUp(part: MidiPart, channel: number, program: number, pan: number, reverb: number): void {
  part.program(channel, program);
  part.control(channel, 7, 100);
  part.control(channel, 10, panCc(pan));
  part.control(channel, 91, reverb);
  part.control(channel, 93, 0);
}

function bassBar(part: MidiPart, plan: SongPlan, bar: number, rng: Prng): void {
  const { chord } = chordAt(plan, bar);
  const root = plan.tonic + chord.root;
  const start = bar * 4;
  const v = () => 90 + 20 * rng();
  switch (plan.style) {
    case 'rock':
      for (let e = 0; e < 8; e++) part.note(2, start + e / 2, 0.45, root, v());
      break;
    case 'pop':
      for (const [at, len, off] of [
        [0, 1.4, 0],
        [1.5, 0.5, 0],
        [2, 1, 7],
        [3, 0.9, 12],
      ] as const)
        part.note(2, start + at, len, root + off, v());
      break;
    case 'ballad':
      part.note(2, start, 2.9, root, v());
      part.note(2, start + 3, 0.9, root + (rng() < 0.5 ? 7 : 0), v());
      break;
    case 'electronic':
      for (let e = 0; e < 8; e++)
        if (e % 2 === 1) part.note(2, start + e / 2, 0.4, root + (e === 7 ? 12 : 0), v());
      break;
    case 'jazz': {
      const next = chordAt(plan, Math.min(plan.bars - 1, bar + 1)).chord.root + plan.tonic;
      const walk = [root, root + chord.intervals[1]!, root + 7, next + (rng() < 0.5 ? -1 : 1)];
      for (let q = 0; q < 4; q++) part.note(2, start + q, 0.9, walk[q]!, v());
      break;
    }
  }
}

function playRole(
  part: MidiPart,
  ch: number,
  role: Role,
  start: number,
  root: number,
  chord: Chord,
  velocity: number,
  plan: SongPlan,
  rng: Prng,
): void {
  const notes = chord.intervals.map((i) => root + i);
  const v = () => velocity + 10 * (rng() * 2 - 1);
  const chordAt = (at: number, len: number, keys: number[], spread = 0) =>
    keys.forEach((k, n) => part.note(ch, start + at + n * spread, len, k, v()));
  switch (role) {
    case 'power':
      for (let e = 0; e < 8; e++) chordAt(e / 2, 0.45, [root, root + 7, root + 12]);
      break;
    case 'strum':
      for (const at of [0, 1, 1.5, 2.5, 3]) chordAt(at, 0.9, [...notes, root + 12], 0.02);
      break;
    case 'block':
      for (const at of [0, 1, 2, 3]) chordAt(at, 0.8, notes);
      break;
    case 'sustain':
      chordAt(0, 3.95, [...notes, root + 12]);
      break;
    case 'arpeggio': {
      const seq = [...notes, root + 12, ...notes.slice(1).reverse()];
      for (let e = 0; e < 8; e++) {
        const at = e % 2 === 1 ? Math.floor(e / 2) + plan.swing : e / 2;
        part.note(ch, start + at, 0.6, seq[e % seq.length]!, v());
      }
      break;
    }
    case 'sequence':
      for (let s = 0; s < 16; s++)
        part.note(ch, start + s / 4, 0.2, notes[(s * 2) % notes.length]! + (s % 4 === 3 ? 12 : 0), v());
      break;
    case 'comp': {
      const shells = [notes[1]!, notes[3] ?? notes[2]!, notes[2]! + 12];
      for (const at of rng() < 0.5 ? [0, 1 + plan.swing, 3] : [plan.swing, 2, 2 + plan.swing])
        chordAt(at, 0.5, shells);
      break;
    }
  }
}
