// A third check set for tuning, beside tune-gm.ts's two: the tiny synthetic mix of the unit tests
// (src/builtin/tiny-mix.ts), whose voice keeps its formants (800 and 2500 Hz) at any pitch, sung as usual
// (A3 to A5), a fifth lower and an octave lower (a baritone, from 110 Hz), seeds 1–3, 10 s each. For each
// set of parameter overrides: vocals / accompaniment SDR per song, and the mean change in vocal SDR
// against the first set. Never the test songs, never the real excerpt.
//   node --import tsx packages/separation/bench/tune-tiny.ts '[{}, {"vocalLowCutHz": 100}]'
import { separatePcm, type BuiltinParams } from '../src/builtin/index.ts';
import { createTinyMix } from '../src/builtin/tiny-mix.ts';
import { sdr } from '../src/dsp/sdr.ts';
import type { PcmChannels, StemPcm } from '../src/engine.ts';
import { jsonOption, readOptions } from './cli-options.ts';

const { positionals } = readOptions({}, 1);
const sets = jsonOption<Partial<BuiltinParams>[]>('the parameter sets', positionals[0]) ?? [{}];
const SHIFTS = [0, -7, -12];
const SEEDS = [1, 2, 3];

const accompaniment = (stems: StemPcm): PcmChannels =>
  stems.drums.map((d, c) => d.map((v, i) => v + stems.bass[c]![i]! + stems.other[c]![i]!));

let first: number[] | undefined;
for (const overrides of sets) {
  const songs: { shift: number; seed: number; v: number; a: number }[] = [];
  for (const shift of SHIFTS) {
    for (const seed of SEEDS) {
      const mix = createTinyMix({ seconds: 10, seed, voiceShift: shift });
      const est = separatePcm(mix.mixture, mix.sampleRate, overrides);
      const round = (x: number): number => Math.round(x * 100) / 100;
      songs.push({
        shift,
        seed,
        v: round(sdr(mix.stems.vocals, est.vocals, mix.sampleRate)),
        a: round(sdr(accompaniment(mix.stems), accompaniment(est), mix.sampleRate)),
      });
    }
  }
  first ??= songs.map((s) => s.v);
  const change = (shift: number): number => {
    const picked = songs.flatMap((s, i) => (s.shift === shift ? [s.v - first![i]!] : []));
    return Math.round((picked.reduce((x, y) => x + y, 0) / picked.length) * 100) / 100;
  };
  const meanChange = Object.fromEntries(SHIFTS.map((shift) => [`shift${shift}`, change(shift)]));
  console.log(JSON.stringify({ overrides, meanVocalChange: meanChange, songs }));
}
