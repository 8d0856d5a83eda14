import type { VariantKey } from './saved-mix.ts';

/** Semitones a variant may be transposed by (job options, variant names, mixes, recipes). */
export const PITCH_LIMITS = { min: -12, max: 12 } as const;
/** Speed factors a variant may be stretched by, the pitch kept (0.8: 1.25× as long). */
export const TEMPO_LIMITS = { min: 0.5, max: 2 } as const;

// Any decimal number (`10`, `0.8`, `.8`) is read as a pitch or a tempo: one out of range is said to be so,
// not "neither a pitch nor a tempo".
const NUMBER = String.raw`(\d+(\.\d*)?|\.\d+)`;
const PITCH = new RegExp(`^[+-]?${NUMBER}$`);
const TEMPO = new RegExp(`^${NUMBER}x$`);

/**
 * The form of a variant request as a JSON-Schema pattern (docs/schemas): a name and at most two modifiers;
 * which numbers are in range, and that they are one pitch and one tempo, readVariantRef says.
 */
export const VARIANT_REQUEST_PATTERN = String.raw`^[a-z0-9][a-z0-9_-]{0,63}(@([+-]?${NUMBER}|${NUMBER}x)){0,2}$`;

/**
 * The one grammar of a variant asked for by name with key/tempo changes (`instrumental@-2`, `no_drums@0.8x`,
 * `vocals@+3@1.1x`), read alike in a job's options, the worker's config, a sidecar and on the command line:
 * its name and changes, or why it cannot be read (a sentence naming the modifier, for the caller to prefix
 * with the variant as written). The name itself is not checked here.
 */
export function readVariantRef(ref: string): { ref: VariantKey } | { problem: string } {
  const [base = '', ...mods] = ref.split('@');
  const out: VariantKey = { base };
  const seen: { pitch?: string; tempo?: string } = {};
  for (const mod of mods) {
    if (PITCH.test(mod)) {
      if (seen.pitch !== undefined)
        return { problem: `two pitches, @${seen.pitch} and @${mod}: give one (@-2, @+3)` };
      const pitch = Number(mod);
      if (!(pitch >= PITCH_LIMITS.min && pitch <= PITCH_LIMITS.max))
        return {
          problem: `pitch ${mod} is outside ${PITCH_LIMITS.min}…+${PITCH_LIMITS.max} semitones: give one in that range (@${PITCH_LIMITS.min} … @+${PITCH_LIMITS.max})`,
        };
      [seen.pitch, out.pitch] = [mod, pitch];
    } else if (TEMPO.test(mod)) {
      if (seen.tempo !== undefined)
        return { problem: `two tempos, @${seen.tempo} and @${mod}: give one (@0.8x)` };
      const tempo = Number(mod.slice(0, -1));
      if (!(tempo >= TEMPO_LIMITS.min && tempo <= TEMPO_LIMITS.max))
        return {
          problem: `tempo ${mod} is outside ${TEMPO_LIMITS.min}x…${TEMPO_LIMITS.max.toFixed(1)}x: give one in that range (@${TEMPO_LIMITS.min}x … @${TEMPO_LIMITS.max}x)`,
        };
      [seen.tempo, out.tempo] = [mod, tempo];
    } else
      return {
        problem: `"@${mod}" is neither a pitch (@-2, @+3: semitones, ${PITCH_LIMITS.min}…+${PITCH_LIMITS.max}) nor a tempo (@0.8x: ${TEMPO_LIMITS.min}x…${TEMPO_LIMITS.max.toFixed(1)}x)`,
      };
  }
  return { ref: out };
}
