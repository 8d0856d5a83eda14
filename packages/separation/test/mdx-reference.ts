// An independent transcription of UVR's MDX demixing (separate.py SeperateMDX.demix/run_model and
// lib_v5/tfc_tdf_v3.py STFT, i.e. numpy + torch.stft/istft), in float64 with a radix-2 FFT of its own,
// for tests only.

export type RefModel = (spec: Float64Array[][], dimF: number, dimT: number) => Float64Array[][];

interface RefParams {
  /** UVR's overlap: 'default' (a step of chunk − n_fft) or a fraction (a step of int((1 − overlap) × chunk)). */
  overlap?: 'default' | number;
  nFft: number;
  dimF: number;
  dimT: number;
  compensate: number;
}

const HOP = 1024;

function periodicHann(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
}

function npHanning(m: number): Float64Array {
  if (m === 1) return Float64Array.of(1);
  return Float64Array.from({ length: m }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (m - 1)));
}

function tables(n: number) {
  return {
    cos: Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * i) / n)),
    sin: Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / n)),
  };
}

/**
 * The DFT X[k] = Σ x[m]·e^(−2πi·km/n), in place, computed as a textbook radix-2 FFT (bit-reversed order, then
 * butterflies) in float64: the same sums as the plain DFT, to float64 rounding, in n·log2(n) steps instead of
 * n² (the tests' reference took most of their time). Its own code, not the engine's (a float32 real FFT).
 */
function dft(re: Float64Array, im: Float64Array, cos: Float64Array, sin: Float64Array): void {
  const n = re.length;
  if (n & (n - 1)) throw new Error(`mdx-reference: n_fft ${n} is not a power of two`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size)
      for (let j = 0; j < half; j++) {
        // e^(−2πi·j/size) = cos − i·sin of 2π·(j·step)/n.
        const wr = cos[j * step]!;
        const wi = -sin[j * step]!;
        const a = start + j;
        const b = a + half;
        const tr = re[b]! * wr - im[b]! * wi;
        const ti = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
  }
}

/** torch.stft(x, n_fft, hop, hann periodic, center=True, pad_mode='reflect'): spec[0|1 = re|im][f][t]. */
function stft(x: Float64Array, n: number, dimF: number): Float64Array[][] {
  const { cos, sin } = tables(n);
  const w = periodicHann(n);
  const frames = 1 + Math.floor(x.length / HOP);
  const re = Array.from({ length: dimF }, () => new Float64Array(frames));
  const im = Array.from({ length: dimF }, () => new Float64Array(frames));
  const half = n / 2;
  const at = (i: number) => x[i < 0 ? -i : i >= x.length ? 2 * (x.length - 1) - i : i]!;
  const frameRe = new Float64Array(n);
  const frameIm = new Float64Array(n);
  for (let t = 0; t < frames; t++) {
    for (let m = 0; m < n; m++) frameRe[m] = at(t * HOP - half + m) * w[m]!;
    frameIm.fill(0);
    // X[f] = Σ_m frame[m]·(cos − i·sin)(2π·fm/n).
    dft(frameRe, frameIm, cos, sin);
    for (let f = 0; f < dimF; f++) {
      re[f]![t] = frameRe[f]!;
      im[f]![t] = frameIm[f]!;
    }
  }
  return [re, im];
}

/** torch.istft(center=True, hann periodic) of the first dim_f bins (the rest zero). */
function istft(spec: Float64Array[][], n: number, dimF: number, frames: number): Float64Array {
  const { cos, sin } = tables(n);
  const w = periodicHann(n);
  const length = n + HOP * (frames - 1);
  const y = new Float64Array(length);
  const env = new Float64Array(length);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let t = 0; t < frames; t++) {
    // Bins 0 and n/2 count once and without their imaginary part (as irfft takes them), every other twice;
    // the bins from dim_f up are zero.
    re.fill(0);
    im.fill(0);
    for (let f = 0; f < dimF; f++) {
      const edge = f === 0 || f === n / 2;
      re[f] = (edge ? 1 : 2) * spec[0]![f]![t]!;
      // Conjugated: s[m] = Σ_f re·cos − im·sin of 2π·fm/n is the real part of the forward DFT of re − i·im.
      im[f] = edge ? 0 : -2 * spec[1]![f]![t]!;
    }
    dft(re, im, cos, sin);
    for (let m = 0; m < n; m++) {
      y[t * HOP + m]! += (re[m]! / n) * w[m]!;
      env[t * HOP + m]! += w[m]! ** 2;
    }
  }
  const half = n / 2;
  return Float64Array.from({ length: length - n }, (_, i) => y[half + i]! / env[half + i]!);
}

/** SeperateMDX.demix (overlap "Default" unless given), primary × compensate; mix is [left, right]. */
export function referenceDemix(mix: Float64Array[], p: RefParams, model: RefModel): Float64Array[] {
  const n = mix[0]!.length;
  const trim = p.nFft / 2;
  const chunk = HOP * (p.dimT - 1);
  const gen = chunk - 2 * trim;
  const pad = gen + trim - (n % gen);
  const total = trim + n + pad;
  const mixture = mix.map((c) => {
    const m = new Float64Array(total);
    m.set(c, trim);
    return m;
  });
  const overlap = p.overlap ?? 'default';
  const step = overlap === 'default' ? chunk - p.nFft : Math.trunc((1 - overlap) * chunk);
  const result = [new Float64Array(total), new Float64Array(total)];
  const divider = new Float64Array(total);
  for (let i = 0; i < total; i += step) {
    const end = Math.min(i + chunk, total);
    // UVR: no window (a weight of 1) when overlap is 0.
    const window = overlap === 0 ? new Float64Array(end - i).fill(1) : npHanning(end - i);
    const spec: Float64Array[][] = [];
    for (const c of mixture) {
      const part = new Float64Array(chunk);
      part.set(c.subarray(i, end));
      const [re, im] = stft(part, p.nFft, p.dimF);
      for (const plane of [re!, im!]) for (let f = 0; f < 3; f++) plane[f]!.fill(0);
      spec.push(re!, im!);
    }
    const pred = model(spec, p.dimF, p.dimT);
    for (let c = 0; c < 2; c++) {
      const wave = istft([pred[2 * c]!, pred[2 * c + 1]!], p.nFft, p.dimF, p.dimT);
      for (let j = 0; j < end - i; j++) result[c]![i + j]! += wave[j]! * window[j]!;
    }
    for (let j = 0; j < end - i; j++) divider[i + j]! += window[j]!;
  }
  return result.map((r) =>
    Float64Array.from({ length: n }, (_, j) => (r[trim + j]! / divider[trim + j]!) * p.compensate),
  );
}
