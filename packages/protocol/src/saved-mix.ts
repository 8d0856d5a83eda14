import type { Artifact, Manifest } from './manifest.ts';

/** A variant with key/tempo changes, as a job's manifest names it: `instrumental@-2`, `no_drums@0.8x`. */
export interface VariantKey {
  base: string;
  pitch?: number;
  tempo?: number;
}

/** The one spelling of a variant: `name`, then `@±pitch` and `@tempox` when they change anything. */
export function formatVariantRef(ref: VariantKey): string {
  let out = ref.base;
  if (ref.pitch !== undefined && ref.pitch !== 0) out += `@${ref.pitch > 0 ? '+' : ''}${ref.pitch}`;
  if (ref.tempo !== undefined && ref.tempo !== 1) out += `@${ref.tempo}x`;
  return out;
}

/**
 * Whether an artifact is a mix saved from the mixer (a remix job added it), not one of the variants the job
 * made itself: only such a file is replaced when a mix of its name is saved again.
 */
export function isSavedMix(manifest: Pick<Manifest, 'options'>, artifact: Artifact): boolean {
  return (
    artifact.kind === 'audio' &&
    artifact.stem_gains !== undefined &&
    !(manifest.options?.variants ?? []).includes(artifact.variant)
  );
}
