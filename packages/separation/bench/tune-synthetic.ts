// SDR of the builtin separator on the project's synthetic corpus (src/corpus, generated and cached on first
// use), per item and stem, with the floors; plus the tiny test mix. Parameters as in tune-real.ts:
//   node --import tsx packages/separation/bench/tune-synthetic.ts ['{"param": value}'] [--json]
import { readWavFile } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { separatePcm, type BuiltinParams } from '../src/builtin/index.ts';
import { ensureCorpus } from '../src/corpus/corpus.ts';
import type { StemPcm } from '../src/engine.ts';
import { scoreStems, type StemScore } from './score.ts';

const args = process.argv.slice(2);
const overrides = JSON.parse(args.find((a) => a.startsWith('{')) ?? '{}') as Partial<BuiltinParams>;

const results: { item: string; table: StemScore[] }[] = [];
for (const item of await ensureCorpus()) {
  const mixture = (await readWavFile(item.mixture)).channels;
  const truth = Object.fromEntries(
    await Promise.all(
      STEM_NAMES.map(async (name) => [name, (await readWavFile(item.stems[name])).channels] as const),
    ),
  ) as StemPcm;
  const estimate = separatePcm(mixture, item.sampleRate, overrides);
  results.push({ item: item.id, table: scoreStems(truth, estimate, mixture, item.sampleRate) });
}
const worst = Object.fromEntries(
  ['vocals', 'drums', 'bass', 'other', 'accompaniment'].map((stem) => [
    stem,
    Math.min(...results.map((r) => r.table.find((row) => row.stem === stem)!.gain)),
  ]),
);
if (args.includes('--json')) console.log(JSON.stringify({ overrides, worstGainOverFloor: worst, results }));
else {
  for (const r of results) {
    console.log(r.item);
    console.table(r.table);
  }
  console.log('smallest gain over the floor per stem:', worst);
}
