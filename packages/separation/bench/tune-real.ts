// SDR of the builtin separator on the real MUSDB18 excerpt, per stem and for the accompaniment, next to
// the floor (the mixture used as the estimate). Parameters can be overridden with a JSON argument:
//   node --import tsx packages/separation/bench/tune-real.ts '{"harmonicMedian": 17}' [--json]
import { DEFAULT_BUILTIN_PARAMS, separatePcm, type BuiltinParams } from '../src/builtin/index.ts';
import { loadExcerpt } from './real-excerpt.ts';
import { scoreStems } from './score.ts';

const SR = 44100;
const args = process.argv.slice(2);
const json = args.includes('--json');
const overrides = JSON.parse(args.find((a) => a.startsWith('{')) ?? '{}') as Partial<BuiltinParams>;

const { mixture, ...truth } = await loadExcerpt();
const started = performance.now();
const estimate = separatePcm(mixture, SR, overrides);
const seconds = (performance.now() - started) / 1000;
const table = scoreStems(truth, estimate, mixture, SR);
const audioSeconds = mixture[0]!.length / SR;
if (json) {
  const params = { ...DEFAULT_BUILTIN_PARAMS, ...overrides };
  console.log(JSON.stringify({ params, table, realtimeFactor: +(audioSeconds / seconds).toFixed(1) }));
} else {
  console.table(table);
  console.log(
    `overrides ${JSON.stringify(overrides)}; ${audioSeconds.toFixed(1)} s of audio in ${seconds.toFixed(2)} s`,
  );
}
