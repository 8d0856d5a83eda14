import { createRowMedian } from '../src/dsp/median-network.ts';
const bins = 1115;
for (const n of [60, 100]) {
  const m = createRowMedian(n, 2049);
  const src = Array.from({ length: n }, () => Float32Array.from({ length: 2049 }, () => Math.random()));
  const out = new Float32Array(2049);
  for (let w = 0; w < 200; w++) m.median(src, 93, 93 + bins, out);
  const t = performance.now();
  for (let f = 0; f < 5170; f++) m.median(src, 93, 93 + bins, out);
  console.log(n, ((performance.now() - t) / 1000).toFixed(3), 's per 5170 frames');
}
