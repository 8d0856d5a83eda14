import type { StemName } from '@imk/protocol';
import { pick, type Prng } from '../corpus/prng.ts';

export const GM_STYLES = ['rock', 'pop', 'ballad', 'electronic', 'jazz'] as const;
export type GmStyle = (typeof GM_STYLES)[number];

/** A chord: root as semitones above the key's tonic, and its intervals above the root. */
export interface Chord {
  root: number;
  intervals: number[];
}

export interface Section {
  kind: 'intro' | 'verse' | 'chorus';
  /** First bar of the section. */
  bar: number;
  bars: number;
  chords: Chord[];
}

/** Everything about one song that is drawn from its seed before any note is written. */
export interface SongPlan {
  style: GmStyle;
  bpm: number;
  /** MIDI note of the key's tonic in the bass octave (e.g. 40 = E2). */
  tonic: number;
  mode: 'major' | 'minor';
  /** Eighth-note swing: the off-beat eighth starts at this fraction of the beat (0.5 = straight). */
  swing: number;
  sections: Section[];
  bars: number;
  /** Seconds of music (the stems are this long). */
  seconds: number;
  /** FluidSynth's reverb on (the sends vary per part) or off for the whole song. */
  reverb: boolean;
  /** Target RMS level of each stem in the mix, dBFS. */
  levelsDb: Record<StemName, number>;
  /** Vocal pan, -1..1 (0 centre: most songs). */
  vocalPan: number;
}

const MAJ = [0, 4, 7];
const MIN = [0, 3, 7];
const chord = (root: number, intervals: number[]): Chord => ({ root, intervals });
const PROGRESSIONS: Record<'major' | 'minor' | 'jazz', Chord[][]> = {
  major: [
    [chord(0, MAJ), chord(7, MAJ), chord(9, MIN), chord(5, MAJ)],
    [chord(0, MAJ), chord(5, MAJ), chord(7, MAJ), chord(5, MAJ)],
    [chord(9, MIN), chord(5, MAJ), chord(0, MAJ), chord(7, MAJ)],
    [chord(0, MAJ), chord(9, MIN), chord(5, MAJ), chord(7, MAJ)],
    [chord(5, MAJ), chord(0, MAJ), chord(7, MAJ), chord(9, MIN)],
  ],
  minor: [
    [chord(0, MIN), chord(8, MAJ), chord(3, MAJ), chord(10, MAJ)],
    [chord(0, MIN), chord(5, MIN), chord(7, MIN), chord(0, MIN)],
    [chord(0, MIN), chord(10, MAJ), chord(8, MAJ), chord(10, MAJ)],
  ],
  jazz: [
    [chord(2, [0, 3, 7, 10]), chord(7, [0, 4, 7, 10]), chord(0, [0, 4, 7, 11]), chord(9, [0, 4, 7, 10])],
    [chord(0, [0, 4, 7, 11]), chord(9, [0, 3, 7, 10]), chord(2, [0, 3, 7, 10]), chord(7, [0, 4, 7, 10])],
    [chord(5, [0, 4, 7, 11]), chord(4, [0, 3, 7, 10]), chord(2, [0, 3, 7, 10]), chord(7, [0, 4, 7, 10])],
  ],
};

const BPM: Record<GmStyle, [number, number]> = {
  rock: [104, 140],
  pop: [90, 118],
  ballad: [62, 78],
  electronic: [120, 128],
  jazz: [112, 160],
};

/** Draws a song's plan: tempo, key, form (about `seconds` long), levels, pans and reverb. */
export function planSong(style: GmStyle, rng: Prng, seconds: number): SongPlan {
  const [lo, hi] = BPM[style];
  const bpm = Math.round(lo + (hi - lo) * rng());
  const mode = style === 'jazz' ? 'major' : rng() < 0.35 ? 'minor' : 'major';
  const tonic = 38 + Math.floor(rng() * 8); // D2..A2
  const family = style === 'jazz' ? 'jazz' : mode;
  const verse = pick(rng, PROGRESSIONS[family]);
  const chorus = rng() < 0.3 ? verse : pick(rng, PROGRESSIONS[family]);
  const barSec = (4 * 60) / bpm;
  const bars = Math.max(3, Math.round(seconds / barSec));
  const sections: Section[] = [{ kind: 'intro', bar: 0, bars: 2, chords: verse.slice(0, 2) }];
  for (let bar = 2, n = 0; bar < bars; n++) {
    const kind = n % 2 === 0 ? 'verse' : 'chorus';
    const length = Math.min(4, bars - bar);
    sections.push({ kind, bar, bars: length, chords: (kind === 'verse' ? verse : chorus).slice(0, length) });
    bar += length;
  }
  const level = (base: number, spread: number) => base + spread * (rng() * 2 - 1);
  return {
    style,
    bpm,
    tonic,
    mode,
    swing: style === 'jazz' ? 0.66 : style === 'pop' && rng() < 0.3 ? 0.58 : 0.5,
    sections,
    bars,
    seconds: bars * barSec,
    reverb: rng() < 0.55,
    levelsDb: { vocals: level(-19, 3), drums: level(-21, 3), bass: level(-22, 3), other: level(-21, 3) },
    vocalPan: rng() < 0.75 ? 0 : (rng() < 0.5 ? -1 : 1) * (0.15 + 0.35 * rng()),
  };
}

/** The chord sounding at `bar`, and the section it belongs to. */
export function chordAt(plan: SongPlan, bar: number): { chord: Chord; section: Section } {
  const section = plan.sections.find((s) => bar >= s.bar && bar < s.bar + s.bars) ?? plan.sections[0]!;
  return { chord: section.chords[(bar - section.bar) % section.chords.length]!, section };
}

/** The key's scale as semitones above the tonic. */
export function scaleOf(plan: SongPlan): number[] {
  return plan.mode === 'major' ? [0, 2, 4, 5, 7, 9, 11] : [0, 2, 3, 5, 7, 8, 10];
}

/** MIDI pan (CC10) for -1..1. */
export function panCc(pan: number): number {
  return Math.round(64 + 63 * Math.max(-1, Math.min(1, pan)));
}
