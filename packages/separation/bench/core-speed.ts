// Speed and memory of the separation core alone (no decode, no file output): streams N seconds of the
// real excerpt looped (or noise when it is missing) through createBlockSeparator in 1-second blocks.
//   node --import tsx packages/separation/bench/core-speed.ts [seconds=120] ['{"param": value}']
import { existsSync } from 'node:fs';
import { createBlockSeparator, type BuiltinParams } from '../src/builtin/index.ts';
import { FFT_SIMD } from '../src/dsp/fft.ts';
import { REAL_EXCERPT, decodeStream } from './real-excerpt.ts';

const SR = 44100;
const args = process.argv.slice(2);
const seconds = Number(args.find((a) => /^\d+(\.\d+)?$/.test(a)) ?? 120);
const overrides = JSON.parse(args.find((a) => a.startsWith('{')) ?? '{}') as Partial<BuiltinParams>;

let source: Float32Array[];
if (existsSync(REAL_EXCERPT)) source = await decodeStream(REAL_EXCERPT, 0);
else {
  let seed = 1;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  source = [0, 1].map(() => Float32Array.from({ length: 10 * SR }, () => 0.1 * rand()));
}

const total = Math.round(seconds * SR);
const block = SR;
const buffers = [new Float32Array(block), new Float32Array(block)];
const separator = createBlockSeparator(SR, overrides);
const rssStart = process.memoryUsage().rss;
let peakRss = rssStart;
let outFrames = 0;
const cpuStart = process.cpuUsage();
const started = performance.now();
for (let at = 0; at < total; at += block) {
  const n = Math.min(block, total - at);
  for (let c = 0; c < 2; c++) {
    const src = source[c]!;
    const dst = buffers[c]!;
    for (let i = 0; i < n; i++) dst[i] = src[(at + i) % src.length]!;
  }
  const out = separator.push(buffers.map((b) => b.subarray(0, n)));
  outFrames += out?.vocals[0]!.length ?? 0;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
outFrames += separator.flush().vocals[0]!.length;
const elapsed = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
// CPU time is what one core spent; on a busy shared machine it is steadier than wall time.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    seconds,
    simd: FFT_SIMD,
    realtimeFactor: +(seconds / elapsed).toFixed(1),
    cpuRealtimeFactor: +(seconds / cpuSeconds).toFixed(1),
    wallSeconds: +elapsed.toFixed(2),
    outFrames,
    inFrames: total,
    peakRssMb: +(peakRss / 2 ** 20).toFixed(1),
    rssAtStartMb: +(rssStart / 2 ** 20).toFixed(1),
    latencySeconds: +(separator.latencyFrames / SR).toFixed(2),
  }),
);
