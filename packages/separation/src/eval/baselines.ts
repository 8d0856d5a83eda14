import type { PcmChannels } from '../engine.ts';
import { repetSimSeparate } from './repet-sim-baseline.ts';
import type { EvalStem } from './scores.ts';

/** The floor: the unprocessed mixture used as the estimate of every stem. */
export function floorEstimates(mixture: PcmChannels): Record<EvalStem, PcmChannels> {
  return { vocals: mixture, drums: mixture, bass: mixture, other: mixture, accompaniment: mixture };
}

/**
 * Naive centre cancellation, the karaoke trick: whatever is identical in both channels is taken as the
 * voice. Vocals = the mid signal (L+R)/2 on both channels; accompaniment = mixture − vocals, i.e. the side
 * signal (L−R)/2 on the left and (R−L)/2 on the right. The two add back to the mixture exactly. It has no
 * notion of drums, bass or other: each gets the accompaniment estimate.
 */
export function centreCancelEstimates(mixture: PcmChannels): Record<EvalStem, PcmChannels> {
  const [left = new Float32Array(0), right = left] = mixture;
  const mid = new Float32Array(left.length);
  const sideLeft = new Float32Array(left.length);
  const sideRight = new Float32Array(left.length);
  for (let i = 0; i < left.length; i++) {
    const l = left[i] ?? 0;
    const r = right[i] ?? 0;
    mid[i] = (l + r) / 2;
    sideLeft[i] = (l - r) / 2;
    sideRight[i] = (r - l) / 2;
  }
  const accompaniment = [sideLeft, sideRight];
  return {
    vocals: [mid, mid],
    drums: accompaniment,
    bass: accompaniment,
    other: accompaniment,
    accompaniment,
  };
}

/** REPET-SIM with nussl's defaults (see repet-sim-baseline.ts); drums, bass and other get the accompaniment. */
export function repetSimEstimates(mixture: PcmChannels, sampleRate: number): Record<EvalStem, PcmChannels> {
  const { vocals, accompaniment } = repetSimSeparate(mixture, sampleRate);
  return { vocals, drums: accompaniment, bass: accompaniment, other: accompaniment, accompaniment };
}
