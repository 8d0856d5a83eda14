/**
 * Per-frame rows (one float per frequency bin or band) for the last `size` STFT frames, in one allocation:
 * frame f lives in row f mod size. Keeps the separator's memory fixed however long the song is.
 */
export interface FrameRing {
  readonly size: number;
  readonly width: number;
  row(frame: number): Float32Array;
}

export function createFrameRing(size: number, width: number): FrameRing {
  const data = new Float32Array(size * width);
  const rows = Array.from({ length: size }, (_, i) => data.subarray(i * width, (i + 1) * width));
  return { size, width, row: (frame) => rows[frame % size]! };
}
