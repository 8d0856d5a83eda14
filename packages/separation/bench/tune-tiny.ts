// SDR of the builtin separator on the tiny deterministic mix the tests use (src/builtin/tiny-mix.ts).
//   node --import tsx packages/separation/bench/tune-tiny.ts ['{"param": value}'] [--json]
import { separatePcm, type BuiltinParams } from '../src/builtin/index.ts';
import { createTinyMix } from '../src/builtin/tiny-mix.ts';
import { scoreStems } from './score.ts';

const args = process.argv.slice(2);
const overrides = JSON.parse(args.find((a) => a.startsWith('{')) ?? '{}') as Partial<BuiltinParams>;
const seeds = [1, 2, 3];
const results = seeds.map((seed) => {
  const mix = createTinyMix({ seed, seconds: 12, bpm: 96 + 12 * seed });
  const est = separatePcm(mix.mixture, mix.sampleRate, overrides);
  return { seed, table: scoreStems(mix.stems, est, mix.mixture, mix.sampleRate) };
});
if (args.includes('--json')) console.log(JSON.stringify({ overrides, results }));
else
  for (const r of results) {
    console.log(`seed ${r.seed}`);
    console.table(r.table);
  }
