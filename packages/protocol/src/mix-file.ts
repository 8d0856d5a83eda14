import { safeFileName } from '@imk/fs-safe';
import type { Remix } from './job.ts';
import { AUDIO_FORMATS, STEM_NAMES } from './common.ts';
import type { Artifact, Manifest } from './manifest.ts';
import { artifactPath } from './outputs-layout.ts';
import { formatVariantRef, isSavedMix, type VariantKey } from './saved-mix.ts';
import { readVariantRef } from './variant-ref.ts';

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

/** A mix as it is asked for: its name, levels, key and tempo (RemixSchema's fields). */
type MixAsked = Pick<Remix, 'variant' | 'stems' | 'pitch' | 'tempo' | 'label'>;

/** What saving a mix would do to the file it is written to, when it is not simply written (see mixFileVerdict). */
export type MixFileVerdict =
  /** The job's own file (one of its variants): never replaced; the save is refused. */
  | { kind: 'own'; field: 'variant'; artifact: Artifact; problem: string }
  /** A mix saved before under another spelling writes this file (tempo 0.8999 then 0.9): refused, naming the field. */
  | { kind: 'other-save'; field: 'variant' | 'pitch' | 'tempo'; artifact: Artifact; problem: string }
  /** This very mix (same file, same levels) is saved already: nothing to do. */
  | { kind: 'same'; artifact: Artifact };

/** Whether two sets of levels play alike: a stem not named is at 0. */
function sameLevels(
  a: Partial<Record<string, number>> | undefined,
  b: Partial<Record<string, number>>,
): boolean {
  return a !== undefined && STEM_NAMES.every((stem) => (a[stem] ?? 0) === (b[stem] ?? 0));
}

/**
 * The one rule, for the dashboard before it queues a mix and for the worker before it writes it, of what a
 * save does to the job's files, by the file the mix is written to (savedMixPath), not by its name:
 * - undefined: a new file, or an earlier save of this same name replaced (other levels);
 * - `same`: this mix (that file, those levels) is saved already: the dashboard says so and queues nothing;
 * - `other-save`: another mix saved before is at that file (`close@0.8999x` for `close@0.9x`, both "(90%
 *   tempo)"; `two__names` for `two_names`): refused, naming the field to change;
 * - `own`: one of the job's own variants is there (`instrumental`; `no_drum` meets `no_drums` at its file
 *   name).
 * It reads the manifest alone, so the dashboard and the worker judge alike. A manifest that does not say the
 * job's format (`options.output_format`: an earlier version's) is judged in every format a mix may be written
 * in: the worker writes it in its config's, which the dashboard cannot know (a `no__drums` for the job's own
 * `… (no drums).m4a` was queued, then refused by a worker writing m4a).
 */
export function mixFileVerdict(
  manifest: Pick<Manifest, 'job_id' | 'artist' | 'title' | 'options' | 'artifacts'>,
  remix: MixAsked,
): MixFileVerdict | undefined {
  const mix: VariantKey = { base: remix.variant, pitch: remix.pitch, tempo: remix.tempo };
  const name = formatVariantRef(mix);
  const job = manifest.job_id;
  const named = manifest.artifacts.find((a) => a.variant === name && !isSavedMix(manifest, a));
  if (named !== undefined)
    return {
      kind: 'own',
      field: 'variant',
      artifact: named,
      problem: `the mix "${name}" would replace job ${job}'s own ${named.label} (${named.path}); save the mix under another name`,
    };
  for (const artifact of manifest.artifacts) {
    if (!isSavedMix(manifest, artifact)) continue;
    const read = readVariantRef(artifact.variant);
    if ('problem' in read || !sameMixFile(manifest, read.ref, mix)) continue;
    const label = remix.label === undefined || remix.label === artifact.label;
    if (label && sameLevels(artifact.stem_gains, remix.stems)) return { kind: 'same', artifact };
    // A re-save of this name at other levels replaces it.
    if (artifact.variant === name) return undefined;
    const saved = read.ref;
    const at = `would be written to ${artifact.path}, the file of the mix "${artifact.variant}" saved before`;
    if (saved.base !== mix.base)
      return {
        kind: 'other-save',
        field: 'variant',
        artifact,
        problem: `the mix "${name}" ${at} (file names cannot tell "${mix.base}" from "${saved.base}"); save it as "${saved.base}" to replace that mix, or under another name`,
      };
    const field = (saved.pitch ?? 0) !== (mix.pitch ?? 0) ? 'pitch' : 'tempo';
    const was = field === 'pitch' ? (saved.pitch ?? 0) : (saved.tempo ?? 1);
    return {
      kind: 'other-save',
      field,
      artifact,
      problem: `the mix "${name}" ${at} (file names give the ${field} to ${field === 'pitch' ? 'the semitone as written' : '0.1%'}); save it at ${field} ${was} to replace that mix, or choose a ${field} its file name tells apart${field === 'tempo' ? ' (one that differs by 0.001 or more)' : ''}`,
    };
  }
  const format = manifest.options?.output_format;
  const paths = (format === undefined ? AUDIO_FORMATS : [format]).map((f) => savedMixPath(manifest, mix, f));
  const artifact = manifest.artifacts.find((a) => paths.includes(a.path) && !isSavedMix(manifest, a));
  if (artifact === undefined) return undefined;
  // In a format not known, the mix may be written beside that file rather than over it: under its name.
  const as = format === undefined ? 'under the name of' : 'as';
  return {
    kind: 'own',
    field: 'variant',
    artifact,
    problem: `the mix "${name}" would be written ${as} ${artifact.path}, which is job ${job}'s ${artifact.label} (${artifact.variant}); save the mix under another name`,
  };
}
