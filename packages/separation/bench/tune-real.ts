// SDR of the builtin separator on the real MUSDB18 excerpt, per stem and for the accompaniment, next to
// the floor (the mixture used as the estimate). Parameters can be overridden with a JSON argument:
//   node --import tsx packages/separation/bench/tune-real.ts '{"harmonicMedian": 17}' [--json]
import { separatePcm, sdr, DEFAULT_BUILTIN_PARAMS, type BuiltinParams } from '../src/builtin/index.ts';
import type { PcmChannels } from '../src/engine.ts';
import { loadExcerpt } from './real-excerpt.ts';

const SR = 44100;

function sum(...parts: PcmChannels[]): PcmChannels {
  return parts[0]!.map((_, c) => {
    const out = new Float32Array(parts[0]![c]!.length);
    for (const part of parts) {
      const ch = part[c]!;
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + ch[i]!;
    }
    return out;
  });
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const overrides = JSON.parse(args.find((a) => a.startsWith('{')) ?? '{}') as Partial<BuiltinParams>;

const truth = await loadExcerpt();
const mixture = truth.mixture;
const started = performance.now();
const est = separatePcm(mixture, SR, overrides);
const seconds = (performance.now() - started) / 1000;

const rows = [
  ['vocals', truth.vocals, est.vocals],
  ['drums', truth.drums, est.drums],
  ['bass', truth.bass, est.bass],
  ['other', truth.other, est.other],
  ['accompaniment', sum(truth.drums, truth.bass, truth.other), sum(est.drums, est.bass, est.other)],
] as const;
const table = rows.map(([name, ref, estimate]) => {
  const score = sdr(ref, estimate, SR);
  const floor = sdr(ref, mixture, SR);
  return { stem: name, sdr: +score.toFixed(2), floor: +floor.toFixed(2), gain: +(score - floor).toFixed(2) };
});
const audioSeconds = mixture[0]!.length / SR;
const result = {
  params: { ...DEFAULT_BUILTIN_PARAMS, ...overrides },
  table,
  realtimeFactor: +(audioSeconds / seconds).toFixed(1),
};
if (json) console.log(JSON.stringify(result));
else {
  console.table(table);
  console.log(
    `overrides ${JSON.stringify(overrides)}; ${audioSeconds.toFixed(1)} s of audio in ${seconds.toFixed(2)} s`,
  );
}
