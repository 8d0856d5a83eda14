// The MDX-Net model's view of a chunk, as UVR's STFT class (lib_v5/tfc_tdf_v3.py) makes it with torch:
// torch.stft(n_fft, hop 1024, periodic Hann, center=True with torch's default reflect padding, unnormalised),
// laid out [4, dim_f, dim_t] = (L re, L im, R re, R im) with only the first dim_f bins; and back with
// torch.istft (bins from dim_f up padded with zeros, window-squared normalisation, the centre padding cut).
import { ImkError } from '@imk/errors';
import { createRealFft, type RealFft } from '../dsp/fft.ts';
import { hannWindow } from '../dsp/stft-window.ts';
import '../errors.ts';

export interface ChunkSpectrogram {
  readonly nFft: number;
  readonly hop: number;
  readonly dimF: number;
  readonly dimT: number;
  /** Samples per chunk: hop × (dim_t − 1), which the STFT turns into exactly dim_t frames. */
  readonly chunkSize: number;
  /** Floats per chunk in the model's tensor: 4 × dim_f × dim_t. */
  readonly tensorSize: number;
  /** Spectrogram of one stereo chunk (chunkSize samples per channel) into `out` at `offset`, bins 0–2 zeroed. */
  forward(left: Float32Array, right: Float32Array, out: Float32Array, offset: number): void;
  /** Time signal of the tensor at `offset` of `spec` into `left`/`right` (chunkSize samples each). */
  inverse(spec: Float32Array, offset: number, left: Float32Array, right: Float32Array): void;
}

/** UVR zeroes the lowest three bins of the input (`spek[:, :, :3, :] *= 0`). */
export const MDX_ZEROED_BINS = 3;

export function createChunkSpectrogram(
  nFft: number,
  hop: number,
  dimF: number,
  dimT: number,
): ChunkSpectrogram {
  const bins = nFft / 2 + 1;
  if (!Number.isInteger(bins) || dimF > bins || dimF <= MDX_ZEROED_BINS || nFft < hop || dimT < 2)
    throw new ImkError(
      'INVALID_PARAMS',
      `MDX parameters n_fft ${nFft}, dim_f ${dimF}, dim_t ${dimT} do not fit together (dim_f must be at most n_fft/2 + 1 = ${bins}, n_fft at least the hop ${hop})`,
    );
  let fft: RealFft;
  try {
    fft = createRealFft(nFft);
  } catch (cause) {
    throw new ImkError('INVALID_PARAMS', `MDX n_fft ${nFft} is not a size this engine's FFT supports`, {
      cause,
    });
  }
  const half = nFft / 2;
  const chunkSize = hop * (dimT - 1);
  const plane = dimF * dimT;
  const window = hannWindow(nFft);
  // torch.istft divides by the overlap-added squared window; it is the same for every chunk.
  const padded = chunkSize + nFft;
  const envelope = new Float64Array(padded);
  for (let t = 0; t < dimT; t++)
    for (let m = 0; m < nFft; m++) envelope[t * hop + m] = envelope[t * hop + m]! + window[m]! ** 2;
  // torch.istft refuses a window whose overlap-added square is zero somewhere ("window overlap add min",
  // its NOLA check), as a periodic Hann of n_fft = hop is at every frame's first sample, and UVR stops there;
  // dividing by it here gave NaN and stems hundreds of times too loud.
  let floor = Infinity;
  for (let i = 0; i < chunkSize; i++) floor = Math.min(floor, envelope[half + i]!);
  if (!(floor >= 1e-11))
    throw new ImkError(
      'INVALID_PARAMS',
      `MDX n_fft ${nFft} with hop ${hop}: the inverse STFT cannot be normalised (the overlapping Hann windows add up to ${floor} in places); n_fft must be more than the hop ${hop}`,
    );
  const inverseGain = new Float32Array(chunkSize);
  for (let i = 0; i < chunkSize; i++) inverseGain[i] = 1 / envelope[half + i]!;
  const spectrum = new Float32Array(nFft);
  const padded2 = new Float32Array(padded);
  const acc = new Float32Array(padded);
  const allBins = new Float32Array(bins).fill(1);
  // The inverse FFT is unscaled in inverseMaskedAdd: its 1/n goes into the synthesis window.
  const synthesis = window.map((w) => w / nFft);

  function forwardChannel(x: Float32Array, out: Float32Array, re: number, im: number): void {
    // torch's center=True pads n_fft/2 on each side by reflection (the edge sample is not repeated).
    padded2.set(x.subarray(0, chunkSize), half);
    for (let i = 1; i <= half; i++) {
      padded2[half - i] = x[i]!;
      padded2[half + chunkSize - 1 + i] = x[chunkSize - 1 - i]!;
    }
    for (let t = 0; t < dimT; t++) {
      fft.forwardWindowed(padded2.subarray(t * hop, t * hop + nFft), window, spectrum);
      // Packed spectrum: [Re 0, Re n/2, Re 1, Im 1, …]; bins 0–2 stay zero (UVR zeroes them).
      for (let f = MDX_ZEROED_BINS; f < dimF; f++) {
        const k = f * dimT + t;
        if (f === half) {
          out[re + k] = spectrum[1]!;
          out[im + k] = 0;
        } else {
          out[re + k] = spectrum[2 * f]!;
          out[im + k] = spectrum[2 * f + 1]!;
        }
      }
      for (let f = 0; f < MDX_ZEROED_BINS; f++) {
        out[re + f * dimT + t] = 0;
        out[im + f * dimT + t] = 0;
      }
    }
  }

  function inverseChannel(spec: Float32Array, re: number, im: number, y: Float32Array): void {
    acc.fill(0);
    spectrum.fill(0);
    for (let t = 0; t < dimT; t++) {
      // A real inverse ignores the imaginary parts of DC and Nyquist, as torch's irfft does; bins from
      // dim_f up stay zero (UVR pads them with zeros).
      spectrum[0] = spec[re + t]!;
      for (let f = 1; f < dimF; f++) {
        const k = f * dimT + t;
        if (f === half) spectrum[1] = spec[re + k]!;
        else {
          spectrum[2 * f] = spec[re + k]!;
          spectrum[2 * f + 1] = spec[im + k]!;
        }
      }
      fft.inverseMaskedAdd(spectrum, allBins, synthesis, acc.subarray(t * hop, t * hop + nFft));
    }
    for (let i = 0; i < chunkSize; i++) y[i] = acc[half + i]! * inverseGain[i]!;
  }

  return {
    nFft,
    hop,
    dimF,
    dimT,
    chunkSize,
    tensorSize: 4 * plane,
    forward(left, right, out, offset) {
      forwardChannel(left, out, offset, offset + plane);
      forwardChannel(right, out, offset + 2 * plane, offset + 3 * plane);
    },
    inverse(spec, offset, left, right) {
      inverseChannel(spec, offset, offset + plane, left);
      inverseChannel(spec, offset + 2 * plane, offset + 3 * plane, right);
    },
  };
}
