import type { Logger } from '@imk/log';
import type { StemName } from '@imk/protocol';

/** Planar float32 PCM: one array per channel (index 0 left, 1 right), all the same length. */
export type PcmChannels = Float32Array[];

/** Stems in memory, as planar float32 at the mixture's sample rate. */
export type StemPcm = Record<StemName, PcmChannels>;

/** Stem files on disk: float32 WAV (pcm_f32le), 44.1 kHz stereo, same length as the mixture. */
export type StemFiles = Record<StemName, string>;

export interface SeparateRequest {
  /** Path of the audio to separate (any format ffmpeg reads). */
  input: string;
  /** Folder the engine may write into; the stem files it returns live here. */
  workDir: string;
  /** Aborts the work (SIGTERM, lost claim); the engine stops promptly and rejects. */
  signal?: AbortSignal;
  /** Fraction done, 0..1, called often enough for a progress bar. */
  onProgress?: (fraction: number) => void;
  logger?: Logger;
}

export interface SeparationResult {
  stems: StemFiles;
  sampleRate: number;
  /** Length in sample frames of every stem. */
  frames: number;
  /** What the user should know about how the stems were made (e.g. the GPU failed and the CPU finished). */
  warnings?: string[];
}

/** A separation engine: one file per implementation, one conformance suite for all (STYLE.md). */
export interface SeparationEngine {
  readonly name: string;
  readonly version: string;
  /** Parameters that change the output; part of the stem cache key. */
  readonly params: Record<string, unknown>;
  separate(request: SeparateRequest): Promise<SeparationResult>;
  /**
   * Lets go of what the engine holds between songs (the mdx engine: its ONNX Runtime session), for an owner
   * that replaces it (its model file changed) or shuts down. A song already running finishes; the engine is
   * not used after.
   */
  close?(): Promise<void>;
}
