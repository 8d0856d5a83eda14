import { safeFileName } from '@imk/fs-safe';
import {
  artifactPath,
  displayName,
  savedMixPath,
  savedMixSuffix,
  type AudioFormat,
  type Job,
  type StemName,
} from '@imk/protocol';
import { keyTempoSuffix, type VariantRecipe } from '@imk/separation';

export { displayName, keyTempoSuffix };

/**
 * Our default suffixes; other variants get their name in brackets. The earlier instrumental-maker named its
 * files the same but for no_drums: `Artist - Title (no drums).m4a` (and its no_drums kept the vocals).
 * `imk migrate` writes output.suffixes.no_drums ' (no drums)' for its users (docs/migration.md).
 */
const KNOWN_SUFFIXES: Record<string, string> = {
  instrumental: '',
  no_drums: ' (no drum)',
  drums_only: ' (drums only)',
  vocals: ' (a cappella)',
};

const DEFAULT_LABELS: Record<string, string> = {
  instrumental: 'Instrumental',
  no_drums: 'Instrumental (no drum)',
  drums_only: 'Instrumental (drums only)',
  vocals: 'Vocals (a cappella)',
};

/** `instrumental@-2` names the recipe `instrumental` with its key changed: the name before any `@`. */
function baseName(variant: string): string {
  return variant.split('@', 1)[0] ?? variant;
}

/** How a file is named: a variant the job made (`recipe`), or a mix saved from the mixer (`mix`). */
export interface NameOptions {
  /**
   * A mix saved from the mixer is named by its own name: the known suffixes say what the job's recipes are
   * (a mix named "vocals" is whatever levels the user chose, not the a cappella; one named "instrumental"
   * must not take the bare name every job's instrumental has).
   */
  mix?: boolean;
  /** Suffixes config gives by variant name (output.suffixes, e.g. the earlier version's ' (no drums)'). */
  suffixes?: Readonly<Record<string, string>>;
}

export function variantSuffix(variant: string, recipe?: VariantRecipe, name: NameOptions = {}): string {
  const base = baseName(variant);
  if (name.mix === true) return savedMixSuffix({ base, pitch: recipe?.pitch, tempo: recipe?.tempo });
  return (
    (name.suffixes?.[base] ?? KNOWN_SUFFIXES[base] ?? ` (${base.replace(/[_-]+/g, ' ')})`) +
    keyTempoSuffix(recipe)
  );
}

export function variantLabel(variant: string, recipe: VariantRecipe | undefined): string {
  const base = baseName(variant);
  return (recipe?.label ?? DEFAULT_LABELS[base] ?? base.replace(/[_-]+/g, ' ')) + keyTempoSuffix(recipe);
}

/** `files/audio/Artist - Title (no drum).m4a`, `… (-2 semitones).m4a`, safe on ext4, NTFS and SMB. */
export function audioPath(
  job: Job,
  variant: string,
  format: AudioFormat,
  recipe?: VariantRecipe,
  name: NameOptions = {},
): string {
  // A mix's path has one home, shared with the dashboard's check before it queues the mix.
  if (name.mix === true)
    return savedMixPath(job, { base: baseName(variant), pitch: recipe?.pitch, tempo: recipe?.tempo }, format);
  return artifactPath(
    'audio',
    safeFileName(displayName(job), `${variantSuffix(variant, recipe, name)}.${format}`, job.job_id),
  );
}

/** `files/stems/Artist - Title (vocals).flac` */
export function stemPath(job: Job, stem: StemName, format: 'flac' | 'wav'): string {
  return artifactPath('stems', safeFileName(displayName(job), ` (${stem}).${format}`, job.job_id));
}

/** `files/stems/Artist - Title.stem.mp4`, the Native Instruments stem file. */
export function stemMp4Path(job: Job): string {
  return artifactPath('stems', safeFileName(displayName(job), '.stem.mp4', job.job_id));
}

/** `files/video/Artist - Title.mp4` */
export function videoPath(job: Job): string {
  return artifactPath('video', safeFileName(displayName(job), '.mp4', job.job_id));
}

/** `files/video/Artist - Title (source).mp4`: the bundle's video as it came (its own extension kept). */
export function sourceVideoPath(job: Job, extension: string): string {
  const ext = /^\.[A-Za-z0-9]{1,8}$/.test(extension) ? extension.toLowerCase() : '.mp4';
  return artifactPath('video', safeFileName(displayName(job), ` (source)${ext}`, job.job_id));
}

/** The title tag of a variant file: the song's title with the variant's suffix. */
export function variantTitle(
  job: Job,
  variant: string,
  recipe?: VariantRecipe,
  name: NameOptions = {},
): string {
  return `${job.title ?? job.job_id}${variantSuffix(variant, recipe, name)}`;
}
