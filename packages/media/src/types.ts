/**
 * Planar float32 PCM: one array per channel (index 0 left, 1 right), all the same length.
 * Identical to `PcmChannels` in @imk/separation (defined here too so that media does not depend on separation).
 */
export type PcmChannels = Float32Array[];

/** Options shared by the functions that run ffmpeg. */
export interface AbortableOptions {
  /** Stops the ffmpeg process and rejects with an AbortError-like ImkError('ABORTED'). */
  signal?: AbortSignal;
}
