import { safeFileName } from '@imk/fs-safe';
import type { Remix } from './job.ts';
import type { Artifact, Manifest } from './manifest.ts';
import { artifactPath } from './outputs-layout.ts';
import { formatVariantRef, isSavedMix, type VariantKey } from './saved-mix.ts';

/**
 * What file names add for a key/tempo change: ` (-2 semitones)`, ` (80% tempo)`, both, or nothing when the
 * key and tempo are kept (the worker's outputs, saved mixes and `imk separate` alike).
 */
export function keyTempoSuffix(change: Pick<VariantKey, 'pitch' | 'tempo'> | undefined): string {
  let out = '';
  const pitch = change?.pitch ?? 0;
  const tempo = change?.tempo ?? 1;
  if (pitch !== 0)
    out += ` (${pitch > 0 ? '+' : ''}${pitch} ${Math.abs(pitch) === 1 ? 'semitone' : 'semitones'})`;
  if (tempo !== 1) out += ` (${Math.round(tempo * 1000) / 10}% tempo)`;
  return out;
}

/** The song a file name starts with: "Artist - Title", or whichever of the two there is, or the job id. */
export function displayName(job: { job_id: string; artist?: string | null; title?: string | null }): string {
  const artist = job.artist?.trim();
  const title = job.title?.trim();
  if (artist && title) return `${artist} - ${title}`;
  return title || artist || job.job_id;
}

/** What a saved mix's file name and title add to the song's: ` (<name>)`, then its key/tempo change. */
export function savedMixSuffix(mix: VariantKey): string {
  return ` (${mix.base.replace(/[_-]+/g, ' ')})${keyTempoSuffix(mix)}`;
}

/**
 * Where a mix saved from the mixer is written in its job's outputs: `files/audio/Artist - Title (<name>)`,
 * then its key/tempo change, in the job's format. Its own name always (a mix named "vocals" is not the a
 * cappella); the worker writes it here and the dashboard checks it before queuing.
 */
export function savedMixPath(
  job: { job_id: string; artist?: string | null; title?: string | null },
  mix: VariantKey,
  format: string,
): string {
  return artifactPath(
    'audio',
    safeFileName(displayName(job), `${savedMixSuffix(mix)}.${format}`, job.job_id),
  );
}

/**
 * Whether two mixes of one job are written to one file (savedMixPath, as the worker writes them): names
 * that differ only where the file name cannot tell, tempo 0.8999 and 0.9 (both "(90% tempo)"), `my__mix`
 * and `my_mix` (both "(my mix)"). The dashboard's "already being saved" check compares mixes by this, not
 * by their variant names: the worker would write both to one file.
 */
export function sameMixFile(
  job: { job_id: string; artist?: string | null; title?: string | null },
  a: VariantKey,
  b: VariantKey,
): boolean {
  // Both are written in the job's one format, whichever it is: any one compares them alike.
  return savedMixPath(job, a, 'wav') === savedMixPath(job, b, 'wav');
}

/**
 * The job's own file (one of its variants, or another mix) at the path this mix would be written to, when
 * the manifest says the job's format (an earlier manifest may not: then the worker alone can tell). Names
 * that differ but meet at one file name: `no_drum` is written as `(no drum)`, as `no_drums` is.
 */
export function mixFileTaken(
  manifest: Pick<Manifest, 'job_id' | 'artist' | 'title' | 'options' | 'artifacts'>,
  remix: Pick<Remix, 'variant' | 'pitch' | 'tempo'>,
): { path: string; artifact: Artifact } | undefined {
  const format = manifest.options?.output_format;
  if (format === undefined) return undefined;
  const mix = { base: remix.variant, pitch: remix.pitch, tempo: remix.tempo };
  return fileTakenAt(manifest, formatVariantRef(mix), savedMixPath(manifest, mix, format));
}

/** The artifact at `path` a mix named `variant` must not replace: anything but an earlier save of itself. */
export function fileTakenAt(
  manifest: Pick<Manifest, 'options' | 'artifacts'>,
  variant: string,
  path: string,
): { path: string; artifact: Artifact } | undefined {
  const artifact = manifest.artifacts.find((a) => a.path === path);
  if (artifact === undefined || (artifact.variant === variant && isSavedMix(manifest, artifact)))
    return undefined;
  return { path, artifact };
}
