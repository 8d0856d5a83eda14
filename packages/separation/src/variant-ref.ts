import { ImkError } from '@imk/errors';
import {
  PITCH_LIMITS,
  TEMPO_LIMITS,
  formatVariantRef,
  keyTempoSuffix,
  readVariantRef,
  type VariantKey,
} from '@imk/protocol';
import { z } from 'zod';
import type { VariantRecipe } from './variants.ts';
import './errors.ts';

// The one spelling of a variant lives with the manifest it names (protocol); re-exported for this package's callers.
export { formatVariantRef, keyTempoSuffix };

/** Semitones a variant is transposed by (0: the key is kept). */
export const PitchSchema = z.number().min(PITCH_LIMITS.min).max(PITCH_LIMITS.max);
/** Speed factor of a variant, pitch kept (0.8: 1.25× as long). */
export const TempoSchema = z.number().min(TEMPO_LIMITS.min).max(TEMPO_LIMITS.max);

/** A variant asked for by name with key/tempo changes: `instrumental@-2`, `no_drums@0.8x`, `vocals@+3@1.1x`. */
export type VariantRef = VariantKey;

/**
 * Splits `name@-2@0.8x` into its name and modifiers (protocol's one grammar, which a job's options are
 * checked with too); a clear error names the variant as written and the modifier it cannot read.
 */
export function parseVariantRef(ref: string): VariantRef {
  const read = readVariantRef(ref);
  if ('problem' in read) throw refError(ref, read.problem);
  return read.ref;
}

function refError(ref: string, why: string): ImkError {
  return new ImkError('INVALID_VARIANT', `variant "${ref}": ${why}`);
}

/** The recipe with the reference's key/tempo changes on top (a modifier wins over the recipe's own). */
export function applyVariantRef(recipe: VariantRecipe, ref: VariantRef): VariantRecipe {
  return {
    ...recipe,
    ...(ref.pitch !== undefined && { pitch: ref.pitch }),
    ...(ref.tempo !== undefined && { tempo: ref.tempo }),
  };
}
