import { ImkError } from '@imk/errors';
import { formatVariantRef, keyTempoSuffix } from '@imk/protocol';
import { z } from 'zod';
import type { VariantRecipe } from './variants.ts';
import './errors.ts';

// The one spelling of a variant lives with the manifest it names (protocol); re-exported for this package's callers.
export { formatVariantRef, keyTempoSuffix };

/** Semitones a variant is transposed by (0: the key is kept). */
export const PitchSchema = z.number().min(-12).max(12);
/** Speed factor of a variant, pitch kept (0.8: 1.25× as long). */
export const TempoSchema = z.number().min(0.5).max(2);

/** A variant asked for by name with key/tempo changes: `instrumental@-2`, `no_drums@0.8x`, `vocals@+3@1.1x`. */
export interface VariantRef {
  base: string;
  pitch?: number;
  tempo?: number;
}

// Any decimal number (`10`, `0.8`, `.8`) is read as a pitch or a tempo: one out of range is said to be so,
// not "neither a pitch nor a tempo".
const NUMBER = String.raw`(\d+(\.\d*)?|\.\d+)`;
const PITCH = new RegExp(`^[+-]?${NUMBER}$`);
const TEMPO = new RegExp(`^${NUMBER}x$`);

/**
 * Splits `name@-2@0.8x` into its name and modifiers; a clear error names the variant as written and the
 * modifier it cannot read.
 */
export function parseVariantRef(ref: string): VariantRef {
  const [base = '', ...mods] = ref.split('@');
  const out: VariantRef = { base };
  const seen: { pitch?: string; tempo?: string } = {};
  for (const mod of mods) {
    if (PITCH.test(mod)) {
      if (seen.pitch !== undefined)
        throw refError(ref, `two pitches, @${seen.pitch} and @${mod}: give one (@-2, @+3)`);
      const pitch = PitchSchema.safeParse(Number(mod));
      if (!pitch.success)
        throw refError(
          ref,
          `pitch ${mod} is outside -12…+12 semitones: give one in that range (@-12 … @+12)`,
        );
      [seen.pitch, out.pitch] = [mod, pitch.data];
    } else if (TEMPO.test(mod)) {
      if (seen.tempo !== undefined)
        throw refError(ref, `two tempos, @${seen.tempo} and @${mod}: give one (@0.8x)`);
      const tempo = TempoSchema.safeParse(Number(mod.slice(0, -1)));
      if (!tempo.success)
        throw refError(ref, `tempo ${mod} is outside 0.5x…2.0x: give one in that range (@0.5x … @2x)`);
      [seen.tempo, out.tempo] = [mod, tempo.data];
    } else
      throw refError(
        ref,
        `"@${mod}" is neither a pitch (@-2, @+3: semitones, -12…+12) nor a tempo (@0.8x: 0.5x…2.0x)`,
      );
  }
  return out;
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
