import type { PcmChannels } from '../engine.ts';

/**
 * Signal-to-distortion ratio in dB as museval v4 reports it framewise, with the definition issue 3 fixes:
 * one-second windows (hop = window), per window `10·log10(Σ s² / Σ (s − ŝ)²)` summed over all channels,
 * windows where the reference or the estimate is entirely zero skipped, then the median over windows.
 *
 * Only whole windows count (as in museval); the estimate is cut or zero-padded to the reference's length.
 * A window with a perfect estimate scores +Infinity. Returns NaN when no window counts (shorter than one
 * second, or silent throughout).
 */
export function sdr(reference: PcmChannels, estimate: PcmChannels, sampleRate: number): number {
  if (reference.length !== estimate.length) {
    throw new RangeError(`reference has ${reference.length} channels, estimate ${estimate.length}`);
  }
  const window = Math.round(sampleRate);
  const frames = reference[0]?.length ?? 0;
  const scores: number[] = [];
  for (let start = 0; start + window <= frames; start += window) {
    let signal = 0;
    let error = 0;
    let estimateEnergy = 0;
    for (let c = 0; c < reference.length; c++) {
      const s = reference[c]!;
      const e = estimate[c]!;
      const end = Math.min(start + window, e.length);
      for (let i = start; i < start + window; i++) {
        const sv = s[i]!;
        const ev = i < end ? e[i]! : 0;
        signal += sv * sv;
        estimateEnergy += ev * ev;
        const d = sv - ev;
        error += d * d;
      }
    }
    if (signal === 0 || estimateEnergy === 0) continue;
    scores.push(10 * Math.log10(signal / error));
  }
  return median(scores);
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
