// Real FFT on PFFFT compiled to WebAssembly (with SIMD when the runtime has it). bench/fft-bench.ts
// measured it several times faster than fft.js on this project's frame sizes, which is why it is the one used.
import { ImkError } from '@imk/errors';
import '../errors.ts';

// PffftWasmModule is declared in pffft-wasm.d.ts.
type PffftModule = PffftWasmModule;

const PFFFT_REAL = 0;
const PFFFT_FORWARD = 0;
const PFFFT_BACKWARD = 1;

async function loadPffft(): Promise<{ module: PffftModule; simd: boolean }> {
  try {
    const simd = await import('@echogarden/pffft-wasm/simd');
    return { module: await simd.default(), simd: true };
  } catch {
    // A runtime without WebAssembly SIMD still gets the scalar build of the same library.
    const plain = await import('@echogarden/pffft-wasm');
    return { module: await plain.default(), simd: false };
  }
}

// Top-level await: the WASM module is ready by the time anything imports this file, so the
// separator's factory can stay synchronous.
const PFFFT = await loadPffft();

/** Whether the loaded FFT uses WebAssembly SIMD. */
export const FFT_SIMD = PFFFT.simd;

/**
 * A real FFT of one size. Spectra are "packed": `size` floats, [Re(0), Re(size/2), Re(1), Im(1),
 * Re(2), Im(2), ...], the layout PFFFT's ordered transform uses, so no reshuffling is needed.
 */
export interface RealFft {
  readonly size: number;
  /** Time signal (`size` floats) to packed spectrum (`size` floats), unscaled. */
  forward(input: Float32Array, output: Float32Array): void;
  /** Packed spectrum back to a time signal, scaled by 1/size so inverse(forward(x)) == x. */
  inverse(input: Float32Array, output: Float32Array): void;
  /**
   * Analysis in one pass: spectrum of input · window. Non-finite samples (NaN, ±Inf) count as 0 so that
   * they cannot poison a whole spectrum.
   */
  forwardWindowed(input: Float32Array, window: Float32Array, output: Float32Array): void;
  /**
   * Synthesis in one pass over WebAssembly memory: acc[i] += window[i] · IFFT(spectrum · mask)[i], where
   * mask has one real gain per bin (size/2 + 1 of them) and the inverse is NOT scaled by 1/size (fold that
   * into the window).
   */
  inverseMaskedAdd(spectrum: Float32Array, mask: Float32Array, window: Float32Array, acc: Float32Array): void;
}

const cache = new Map<number, RealFft>();

/**
 * Returns the FFT of `size` (a multiple of 32 whose other factors are 2, 3 and 5). Instances are cached and
 * shared: they hold WASM scratch memory but no state between calls, and JavaScript runs one call at a time.
 */
export function createRealFft(size: number): RealFft {
  const cached = cache.get(size);
  if (cached !== undefined) return cached;
  if (!isPffftSize(size)) {
    throw new ImkError(
      'INVALID_PARAMS',
      `FFT size ${size} is not supported: use a multiple of 32 such as 2048 or 4096`,
    );
  }
  const m = PFFFT.module;
  const setup = m._pffft_new_setup(size, PFFFT_REAL);
  const inPtr = m._pffft_aligned_malloc(size * 4);
  const outPtr = m._pffft_aligned_malloc(size * 4);
  const workPtr = m._pffft_aligned_malloc(size * 4);
  if (setup === 0 || inPtr === 0 || outPtr === 0 || workPtr === 0) {
    throw new ImkError('FFT_INIT_FAILED', `could not set up a ${size}-point FFT in WebAssembly memory`);
  }
  const scale = 1 / size;
  const run = (input: Float32Array, output: Float32Array, direction: number): void => {
    // HEAPF32 is re-read on every call: WASM memory growth (another FFT size set up later) replaces it.
    const heap = m.HEAPF32;
    heap.set(input.subarray(0, size), inPtr >> 2);
    m._pffft_transform_ordered(setup, inPtr, outPtr, workPtr, direction);
    output.set(heap.subarray(outPtr >> 2, (outPtr >> 2) + size));
  };
  const inBase = inPtr >> 2;
  const outBase = outPtr >> 2;
  const half = size >> 1;
  const fft: RealFft = {
    size,
    forwardWindowed(input, window, output) {
      const heap = m.HEAPF32;
      for (let i = 0; i < size; i++) {
        const x = input[i]!;
        heap[inBase + i] = x - x === 0 ? x * window[i]! : 0;
      }
      m._pffft_transform_ordered(setup, inPtr, outPtr, workPtr, PFFFT_FORWARD);
      output.set(heap.subarray(outBase, outBase + size));
    },
    inverseMaskedAdd(spectrum, mask, window, acc) {
      const heap = m.HEAPF32;
      heap[inBase] = spectrum[0]! * mask[0]!;
      heap[inBase + 1] = spectrum[1]! * mask[half]!;
      for (let k = 1; k < half; k++) {
        const g = mask[k]!;
        heap[inBase + 2 * k] = spectrum[2 * k]! * g;
        heap[inBase + 2 * k + 1] = spectrum[2 * k + 1]! * g;
      }
      m._pffft_transform_ordered(setup, inPtr, outPtr, workPtr, PFFFT_BACKWARD);
      for (let i = 0; i < size; i++) acc[i] = acc[i]! + heap[outBase + i]! * window[i]!;
    },
    forward: (input, output) => run(input, output, PFFFT_FORWARD),
    inverse: (input, output) => {
      run(input, output, PFFFT_BACKWARD);
      for (let i = 0; i < size; i++) output[i] = output[i]! * scale;
    },
  };
  cache.set(size, fft);
  return fft;
}

function isPffftSize(size: number): boolean {
  if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) return false;
  let n = size;
  for (const f of [2, 3, 5]) while (n % f === 0) n /= f;
  return n === 1;
}
