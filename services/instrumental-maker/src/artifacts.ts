import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '@imk/fs-safe';
import { measureLoudness, probeMedia, type ClipGuard, type LoudnessMeasurement } from '@imk/media';
import { SOUNDLESS_CODEC, type Artifact } from '@imk/protocol';
import type { VariantRecipe } from '@imk/separation';

/** A file written into the output folder, before it is measured for the manifest. */
export interface PlannedArtifact {
  kind: Artifact['kind'];
  variant: string;
  label: string;
  /** Relative to the output folder, e.g. `files/audio/Artist - Title.m4a`. */
  path: string;
  /** For multi-stream files (.stem.mp4): what each stream holds. */
  streams?: string[];
  /** A mix's level per stem, when its recipe gave levels. */
  stem_gains?: Artifact['stem_gains'];
  /** Semitones the variant was transposed by. */
  pitch?: number;
  /** Its speed factor (pitch kept). */
  tempo?: number;
}

/** What the manifest records of a variant's recipe: its stem levels, key and tempo changes. */
export function recipeFacts(
  recipe: VariantRecipe | undefined,
): Pick<PlannedArtifact, 'stem_gains' | 'pitch' | 'tempo'> {
  const out: Pick<PlannedArtifact, 'stem_gains' | 'pitch' | 'tempo'> = {};
  if (recipe?.stems !== undefined && !Array.isArray(recipe.stems)) out.stem_gains = { ...recipe.stems };
  if (recipe?.pitch !== undefined && recipe.pitch !== 0) out.pitch = recipe.pitch;
  if (recipe?.tempo !== undefined && recipe.tempo !== 1) out.tempo = recipe.tempo;
  return out;
}

function containerOf(path: string): string {
  if (path.endsWith('.stem.mp4')) return 'mp4';
  const dot = path.lastIndexOf('.');
  return dot < 0 ? 'unknown' : path.slice(dot + 1).toLowerCase();
}

/** The loudness of a file without sound: none, as for digital silence. */
const SOUNDLESS: LoudnessMeasurement = {
  integrated_lufs: null,
  true_peak_dbtp: null,
  lra_lu: null,
  threshold_lufs: null,
};

export interface DescribeOptions {
  signal?: AbortSignal;
  /**
   * The file's loudness when it is already known exactly: measured while a lossless file was encoded
   * (the encoder's input is then the file's audio). Otherwise the file is measured.
   */
  loudness?: LoudnessMeasurement;
  /** How the file was turned down so that its peak does not clip, when it was. */
  clipGuard?: ClipGuard;
}

/**
 * Everything the manifest says of one file, measured from the file itself: sha256, bytes, duration, audio
 * codec, sample rate, channels, and loudness (EBU R128 integrated LUFS and true peak of its first audio).
 */
export async function describeArtifact(
  outDir: string,
  planned: PlannedArtifact,
  options: DescribeOptions = {},
): Promise<Artifact> {
  const { signal } = options;
  const file = join(outDir, planned.path);
  // A video may have no sound of its own: the source video of a bundle whose song came as a separate
  // audio file. Such a file failed the whole job at its end ("has no audio stream … give a file with
  // sound", naming the copy in the partial outputs) after its instrumental video was made.
  const video = planned.kind === 'video';
  const probed = probeMedia(file, { signal, requireAudio: !video });
  const measured =
    options.loudness ??
    (video
      ? probed.then((i) =>
          i.audio === undefined ? SOUNDLESS : measureLoudness(file, { signal, countFrames: true }),
        )
      : measureLoudness(file, { signal, countFrames: true }));
  const [info, sha256, { size }, loudness] = await Promise.all([
    probed,
    sha256File(file),
    stat(file),
    measured,
  ]);
  // What a player plays. An MP3's ffprobe duration counts its encoder delay and padding (1.152 s for 1 s
  // at 8 kHz), which decoders drop; an m4a decodes to whole AAC frames past its end (1.0216 s for 1 s),
  // which its edit list, and so ffprobe, cuts. Neither plays longer than the other says: the shorter is
  // taken, for a file decoded to be measured. A video keeps its container's length (its picture may
  // outlast its sound).
  const rate = info.audio?.sample_rate;
  const probedSec = info.duration_sec ?? info.audio?.duration_sec;
  const decodedSec =
    planned.kind !== 'video' && loudness.frames !== undefined && rate !== undefined && rate > 0
      ? loudness.frames / rate
      : undefined;
  const durationSec =
    decodedSec === undefined ? (probedSec ?? 0) : Math.min(decodedSec, probedSec ?? decodedSec);
  const artifact: Artifact = {
    kind: planned.kind,
    variant: planned.variant,
    label: planned.label,
    path: planned.path,
    codec: info.audio?.codec ?? (video ? SOUNDLESS_CODEC : 'unknown'),
    container: containerOf(planned.path),
    duration_sec: Math.round(durationSec * 1e6) / 1e6,
    sha256,
    bytes: size,
    loudness: { integrated_lufs: loudness.integrated_lufs, true_peak_dbtp: loudness.true_peak_dbtp },
  };
  if (info.audio?.sample_rate !== undefined) artifact.sample_rate = info.audio.sample_rate;
  if (info.audio?.channels !== undefined) artifact.channels = info.audio.channels;
  if (planned.streams !== undefined) artifact.streams = planned.streams;
  if (planned.stem_gains !== undefined) artifact.stem_gains = planned.stem_gains;
  if (planned.pitch !== undefined) artifact.pitch = planned.pitch;
  if (planned.tempo !== undefined) artifact.tempo = planned.tempo;
  if (options.clipGuard !== undefined) artifact.gain_db = options.clipGuard.gainDb;
  return artifact;
}
