// Micro-benchmark: real forward + inverse FFT of one STFT frame, fft.js vs PFFFT (WASM, with and without SIMD).
// Run: node --import tsx packages/separation/bench/fft-bench.ts   (prints JSON, µs per forward+inverse pair)
import FFT from 'fft.js';

interface PffftModule {
  HEAPF32: Float32Array;
  _pffft_new_setup(n: number, kind: number): number;
  _pffft_aligned_malloc(bytes: number): number;
  _pffft_transform_ordered(
    setup: number,
    input: number,
    output: number,
    work: number,
    direction: number,
  ): void;
}
type PffftFactory = () => Promise<PffftModule>;

const SIZES = [1024, 2048, 4096, 8192];
const TARGET_MS = 400;

function timeIt(run: () => void): number {
  for (let i = 0; i < 50; i++) run();
  let reps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < TARGET_MS) {
    for (let i = 0; i < 50; i++) run();
    reps += 50;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1000) / reps;
}

function signal(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.01) + 0.3 * Math.sin(i * 0.37);
  return x;
}

function benchFftJs(n: number): number {
  const fft = new FFT(n);
  // Float64Array is fft.js's fastest storage (plain arrays measured slower).
  const input = Float64Array.from(signal(n));
  const spectrum = new Float64Array(2 * n);
  const back = new Float64Array(2 * n);
  return timeIt(() => {
    fft.realTransform(spectrum, input);
    fft.completeSpectrum(spectrum);
    fft.inverseTransform(back, spectrum);
  });
}

async function benchPffft(n: number, simd: boolean): Promise<number> {
  const mod = (await import(simd ? '@echogarden/pffft-wasm/simd' : '@echogarden/pffft-wasm')) as {
    default: PffftFactory;
  };
  const m = await mod.default();
  const setup = m._pffft_new_setup(n, 0);
  const inPtr = m._pffft_aligned_malloc(n * 4);
  const outPtr = m._pffft_aligned_malloc(n * 4);
  const workPtr = m._pffft_aligned_malloc(n * 4);
  const x = signal(n);
  return timeIt(() => {
    // Copy in and out of the WASM heap as the real STFT does.
    const heap = m.HEAPF32;
    heap.set(x, inPtr >> 2);
    m._pffft_transform_ordered(setup, inPtr, outPtr, workPtr, 0);
    m._pffft_transform_ordered(setup, outPtr, inPtr, workPtr, 1);
    x.set(heap.subarray(inPtr >> 2, (inPtr >> 2) + n));
    x[0] = (x[0] ?? 0) / n;
  });
}

const results: Record<string, Record<string, number>> = {};
for (const n of SIZES) {
  results[n] = {
    'fft.js': benchFftJs(n),
    'pffft-wasm': await benchPffft(n, false),
    'pffft-wasm-simd': await benchPffft(n, true),
  };
}
console.log(JSON.stringify({ unit: 'microseconds per real forward+inverse pair', results }, null, 2));
