// Parameter sweep: for each override set, SDR on the real excerpt (per stem) and the smallest and mean
// gain over the floor on the synthetic corpus. One JSON line per set, data loaded once.
//   node --import tsx packages/separation/bench/tune-sweep.ts '[{"harmonicMedian":17},{"harmonicMedian":31}]'
//   node --import tsx packages/separation/bench/tune-sweep.ts harmonicMedian 17 31 45
import { readWavFile } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { separatePcm, type BuiltinParams } from '../src/builtin/index.ts';
import { ensureCorpus } from '../src/corpus/corpus.ts';
import type { PcmChannels, StemPcm } from '../src/engine.ts';
import { loadExcerpt } from './real-excerpt.ts';
import { scoreStems } from './score.ts';

const args = process.argv.slice(2);
const sets: Partial<BuiltinParams>[] = args[0]?.startsWith('[')
  ? (JSON.parse(args[0]) as Partial<BuiltinParams>[])
  : args.slice(1).map((v) => ({ [args[0]!]: Number(v) }));
if (sets.length === 0) sets.push({});

interface Track {
  id: string;
  mixture: PcmChannels;
  truth: StemPcm;
  sampleRate: number;
}
const real = await loadExcerpt();
const realTrack: Track = {
  id: 'real',
  mixture: real.mixture,
  truth: { vocals: real.vocals, drums: real.drums, bass: real.bass, other: real.other },
  sampleRate: 44100,
};
const synthetic: Track[] = [];
for (const item of await ensureCorpus()) {
  const read = async (path: string): Promise<PcmChannels> => (await readWavFile(path)).channels;
  const truth = Object.fromEntries(
    await Promise.all(STEM_NAMES.map(async (n) => [n, await read(item.stems[n])] as const)),
  ) as StemPcm;
  synthetic.push({ id: item.id, mixture: await read(item.mixture), truth, sampleRate: item.sampleRate });
}

const STEMS = ['vocals', 'drums', 'bass', 'other', 'accompaniment'] as const;
for (const overrides of sets) {
  const score = (t: Track): Record<string, number> => {
    const table = scoreStems(
      t.truth,
      separatePcm(t.mixture, t.sampleRate, overrides),
      t.mixture,
      t.sampleRate,
    );
    return Object.fromEntries(table.map((r) => [r.stem, t === realTrack ? r.sdr : r.gain]));
  };
  const r = score(realTrack);
  const syn = synthetic.map(score);
  const min = Object.fromEntries(STEMS.map((s) => [s, Math.min(...syn.map((x) => x[s]!))]));
  const mean = Object.fromEntries(
    STEMS.map((s) => [s, Math.round((syn.reduce((a, x) => a + x[s]!, 0) / syn.length) * 100) / 100]),
  );
  console.log(JSON.stringify({ overrides, real: r, syntheticMinGain: min, syntheticMeanGain: mean }));
}
