import { ImkError, withKeyReason } from '@imk/errors';
import {
  PITCH_LIMITS,
  STEM_LEVEL_RANGE,
  STEM_NAMES,
  StemLevelSchema,
  StemNameSchema,
  TEMPO_LIMITS,
  VariantNameSchema,
  type StemName,
} from '@imk/protocol';
import { z } from 'zod';
import {
  PitchSchema,
  TempoSchema,
  applyVariantRef,
  formatVariantRef,
  parseVariantRef,
} from './variant-ref.ts';
import './errors.ts';

/** A stem's level in a mix (1: as separated, 0: silent): protocol's, which a remix job's `stems` takes too. */
export const StemGainSchema = StemLevelSchema;

/**
 * How one variant is made from the stems: either the sum of `stems` (a list, or levels by stem name), or the
 * mixture minus `mixture_minus` (e.g. instrumental as "mixture minus vocals", which keeps whatever the engine
 * left in no stem); then transposed by `pitch` and stretched by `tempo`.
 */
export const VariantRecipeSchema = z
  .strictObject({
    stems: z
      .union([z.array(StemNameSchema).min(1), z.partialRecord(StemNameSchema, StemGainSchema)])
      .optional()
      .describe(
        `Stems summed into the variant: a list, or a level per stem (${STEM_LEVEL_RANGE.min}…${STEM_LEVEL_RANGE.max}, at least one above ${STEM_LEVEL_RANGE.min}), e.g. {bass: 1, vocals: 0.2}.`,
      ),
    mixture_minus: z.array(StemNameSchema).min(1).optional().describe('Stems subtracted from the mixture.'),
    pitch: PitchSchema.optional().describe(
      `Transpose by this many semitones (${PITCH_LIMITS.min}…+${PITCH_LIMITS.max}), after the mix.`,
    ),
    tempo: TempoSchema.optional().describe(
      `Speed factor (${TEMPO_LIMITS.min}…${TEMPO_LIMITS.max.toFixed(1)}, the pitch is kept), after the mix.`,
    ),
    label: z.string().min(1).optional().describe('Human text, e.g. "Instrumental (no drum)".'),
  })
  .refine((r) => (r.stems === undefined) !== (r.mixture_minus === undefined), {
    message: 'give exactly one of "stems" (a sum of stems) or "mixture_minus" (the mixture minus stems)',
  })
  // Levels that are all 0 (or none) make silence, and a mix that reads no stem has no length to stop at.
  .refine(
    (r) =>
      r.stems === undefined || Array.isArray(r.stems) || Object.values(r.stems).some((level) => level > 0),
    {
      message: 'give at least one stem a level above 0 (with every level at 0 the variant would be silent)',
      path: ['stems'],
    },
  );
export type VariantRecipe = z.infer<typeof VariantRecipeSchema>;

export const VariantRecipesSchema = z.record(VariantNameSchema, VariantRecipeSchema);
export type VariantRecipes = z.infer<typeof VariantRecipesSchema>;

/**
 * The variants made for every job that names none (the worker's config `variants`): the earlier
 * instrumental-maker's three.
 */
export const DEFAULT_VARIANTS = ['instrumental', 'no_drums', 'drums_only'] as const;

/**
 * The recipes known when config names none: the earlier instrumental-maker's three variants (the default
 * set made for every job, DEFAULT_VARIANTS) and `vocals`, the a cappella, made when asked for by name.
 */
export const DEFAULT_VARIANT_RECIPES: Readonly<VariantRecipes> = {
  instrumental: { stems: ['drums', 'bass', 'other'], label: 'Instrumental' },
  no_drums: { stems: ['bass', 'other'], label: 'Instrumental (no drum)' },
  drums_only: { stems: ['drums'], label: 'Instrumental (drums only)' },
  vocals: { stems: ['vocals'], label: 'Vocals (a cappella)' },
};

/** Pure check of recipes read from config: the recipes, or errors with dotted paths (`variants.x.stems.0`). */
export function validateVariantRecipes(
  json: unknown,
  path = 'variants',
): { recipes?: VariantRecipes; errors: string[] } {
  const result = VariantRecipesSchema.safeParse(json);
  if (result.success) return { recipes: result.data, errors: [] };
  return {
    errors: result.error.issues
      .flatMap((issue) => unionDetail(issue))
      .map((issue) => `${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`),
  };
}

/**
 * A list-or-levels `stems` that fits neither says only "Invalid input": report the issues of the branch the
 * value was meant for (the one whose type it has), with their full paths.
 */
function unionDetail(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string }[] {
  // A recipe name refused ("Invalid key in record"): said with the name and why.
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [withKeyReason(issue)];
  const branch =
    issue.errors.find(
      (branchIssues) => !branchIssues.some((i) => i.code === 'invalid_type' && i.path.length === 0),
    ) ?? issue.errors[0]!;
  return branch.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
}

/** A variant as coefficients: `mixture · m + Σ stems[s] · s` (a stem's level, or -1 when subtracted). */
export interface VariantTerms {
  mixture: number;
  stems: Record<StemName, number>;
}

export function variantTerms(recipe: VariantRecipe): VariantTerms {
  const stems = Object.fromEntries(STEM_NAMES.map((name) => [name, 0])) as Record<StemName, number>;
  if (Array.isArray(recipe.stems)) for (const name of recipe.stems) stems[name] = 1;
  else for (const [name, gain] of Object.entries(recipe.stems ?? {})) stems[name as StemName] = gain;
  for (const name of recipe.mixture_minus ?? []) stems[name] = -1;
  return { mixture: recipe.mixture_minus === undefined ? 0 : 1, stems };
}

/**
 * Picks variants for a command line: `instrumental,no_drums` names known recipes; `name=bass+other` sums
 * stems; `name=mixture-vocals` (or `mixture-vocals-drums`) subtracts stems from the mixture. Any item may end
 * in key/tempo changes: `instrumental@-2` (two semitones down), `no_drums@0.8x` (80 % tempo, pitch kept).
 */
export function parseVariantList(
  list: string,
  known: Readonly<VariantRecipes> = DEFAULT_VARIANT_RECIPES,
): VariantRecipes {
  const recipes: VariantRecipes = {};
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = item.indexOf('@');
    // Errors name the item as it was written (`instrumental@-13`), not a stand-in.
    const ref = parseVariantRef(item);
    const [name = '', formula] = (at < 0 ? item : item.slice(0, at)).split('=', 2);
    if (name === '')
      throw new ImkError(
        'INVALID_VARIANT',
        `variant "${item}" has no name before "${item[item.search(/[=@]/)]}": write one, e.g. instrumental@-2 or karaoke=drums+bass+other`,
      );
    const key = formatVariantRef({ ...ref, base: name });
    if (formula === undefined) {
      const recipe = known[name];
      if (recipe === undefined)
        throw new ImkError(
          'UNKNOWN_VARIANT',
          `unknown variant "${name}"; known: ${Object.keys(known).join(', ')}, or define one as name=bass+other or name=mixture-vocals`,
        );
      recipes[key] = applyVariantRef(recipe, ref);
      continue;
    }
    const parts = formula.startsWith('mixture-')
      ? formula.slice('mixture-'.length).split('-')
      : formula.split('+');
    const raw = formula.startsWith('mixture-') ? { mixture_minus: parts } : { stems: parts };
    const checked = validateVariantRecipes({ [name]: raw }, '--variants');
    if (checked.recipes?.[name] === undefined)
      throw new ImkError(
        'INVALID_VARIANT',
        `invalid variant "${item}": ${checked.errors.join('; ')} (stems: ${STEM_NAMES.join(', ')})`,
      );
    recipes[key] = applyVariantRef(checked.recipes[name], ref);
  }
  if (Object.keys(recipes).length === 0) throw new ImkError('INVALID_VARIANT', 'no variants given');
  return recipes;
}

/**
 * The first two variants that would be written under one file name, or undefined when every name is its
 * own. Names that differ can still meet there: recipes `drums-only` and `drums_only` both as "(drums
 * only)", tempos 0.833x and 0.8334x both as "(83.3% tempo)"; the second file would replace the first.
 */
export function sharedVariantFile(
  variants: readonly string[],
  fileOf: (variant: string) => string,
): { first: string; second: string; file: string } | undefined {
  const byFile = new Map<string, string>();
  for (const variant of variants) {
    const file = fileOf(variant);
    const first = byFile.get(file);
    if (first !== undefined) return { first, second: variant, file };
    byFile.set(file, variant);
  }
  return undefined;
}
