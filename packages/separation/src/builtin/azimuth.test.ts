import { describe, expect, it } from 'vitest';
import { azimuthCue, stereoPosition } from './azimuth.ts';

describe('azimuth cue', () => {
  // Packed spectra with 3 bins: [Re(0), Re(2), Re(1), Im(1)].
  const left = Float32Array.from([1, 0.2, 0.8, 0.3]);
  const right = Float32Array.from([1, 1, 0.3, 0.1]);
  const pan = new Float32Array(3);
  const coherence = new Float32Array(3);
  const cue = new Float32Array(3);
  stereoPosition(left, right, pan, coherence, 3);

  it('is the stereo centre cue 2·Re(L·R*)/(|L|² + |R|²) at width 1', () => {
    azimuthCue(pan, coherence, 0, 1, cue, 3);
    const centre = (lr: number, li: number, rr: number, ri: number) =>
      (2 * (lr * rr + li * ri)) / (lr * lr + li * li + rr * rr + ri * ri);
    expect(cue[0]).toBeCloseTo(1, 6); // centred, in phase
    expect(cue[1]).toBeCloseTo(centre(0.8, 0.3, 0.3, 0.1), 6);
    expect(cue[2]).toBeCloseTo(centre(0.2, 0, 1, 0), 6);
  });

  it('is narrower at width 0.5: a bin panned beyond it scores 0, a centred one still 1', () => {
    azimuthCue(pan, coherence, 0, 0.5, cue, 3);
    expect(Math.abs(pan[2]!)).toBeGreaterThan(0.5);
    expect(cue[2]).toBe(0);
    expect(cue[0]).toBeCloseTo(1, 6);
  });
});
