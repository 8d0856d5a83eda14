// The cost of REPET-SIM's per-bin median alone, by the number of rows (chosen frames) it is taken over: the
// median network (dsp/median-network.ts) over random rows of the vocal band's width, as many times as a
// 120-s song has frames. `node --import tsx packages/separation/bench/median-rows.ts [rows…]` (default 60
// and 100; `--coarse 60` for 16-bit keys above 60 rows; pin it to one core with `taskset -c 0`). Prints
// one JSON line per row count.
import { createRowMedian } from '../src/dsp/median-network.ts';

const BINS = 2049; // fftSize 4096
const WIDTH = 1115; // the vocal band's bins at 44.1 kHz with the defaults
const FRAMES = 5170; // a 120-s song at hop 1024
// `--coarse N`: the median of more than N rows on 16-bit keys (createRowMedian's coarseAbove).
const args = process.argv.slice(2);
const at = args.indexOf('--coarse');
const coarseAbove = at >= 0 ? Number(args.splice(at, 2)[1]) : Infinity;
const counts = args.map(Number);
for (const n of counts.length > 0 ? counts : [60, 100]) {
  const median = createRowMedian(n, BINS, true, coarseAbove);
  const rows = Array.from({ length: n }, () => Float32Array.from({ length: BINS }, () => Math.random()));
  const out = new Float32Array(BINS);
  for (let f = 0; f < 200; f++) median.median(rows, 93, 93 + WIDTH, out); // warm-up
  const started = performance.now();
  for (let f = 0; f < FRAMES; f++) median.median(rows, 93, 93 + WIDTH, out);
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({ rows: n, coarseAbove: Number.isFinite(coarseAbove) ? coarseAbove : 'off', frames: FRAMES, bins: WIDTH, seconds: Number(seconds.toFixed(3)) })}\n`,
  );
}
