import { ImkError } from '@imk/errors';
import { STEM_NAMES, StemNameSchema, VariantNameSchema, type StemName } from '@imk/protocol';
import { z } from 'zod';

/**
 * How one variant is made from the stems: either the sum of `stems`, or the mixture minus `mixture_minus`
 * (e.g. instrumental as "mixture minus vocals", which keeps whatever the engine left in no stem).
 */
export const VariantRecipeSchema = z
  .strictObject({
    stems: z.array(StemNameSchema).min(1).optional().describe('Stems summed into the variant.'),
    mixture_minus: z.array(StemNameSchema).min(1).optional().describe('Stems subtracted from the mixture.'),
    label: z.string().min(1).optional().describe('Human text, e.g. "Instrumental (no drum)".'),
  })
  .refine((r) => (r.stems === undefined) !== (r.mixture_minus === undefined), {
    message: 'give exactly one of "stems" (a sum of stems) or "mixture_minus" (the mixture minus stems)',
  });
export type VariantRecipe = z.infer<typeof VariantRecipeSchema>;

export const VariantRecipesSchema = z.record(VariantNameSchema, VariantRecipeSchema);
export type VariantRecipes = z.infer<typeof VariantRecipesSchema>;

/** The configured set when config names none: the earlier instrumental-maker's three variants. */
export const DEFAULT_VARIANT_RECIPES: Readonly<VariantRecipes> = {
  instrumental: { stems: ['drums', 'bass', 'other'], label: 'Instrumental' },
  no_drums: { stems: ['bass', 'other'], label: 'Instrumental (no drum)' },
  drums_only: { stems: ['drums'], label: 'Instrumental (drums only)' },
};

/** Pure check of recipes read from config: the recipes, or errors with dotted paths (`variants.x.stems.0`). */
export function validateVariantRecipes(
  json: unknown,
  path = 'variants',
): { recipes?: VariantRecipes; errors: string[] } {
  const result = VariantRecipesSchema.safeParse(json);
  if (result.success) return { recipes: result.data, errors: [] };
  return {
    errors: result.error.issues.map(
      (issue) => `${[path, ...issue.path.map(String)].join('.')}: ${issue.message}`,
    ),
  };
}

/** A variant as coefficients: `mixture · m + Σ stems[s] · s`, each coefficient -1, 0 or 1. */
export interface VariantTerms {
  mixture: number;
  stems: Record<StemName, number>;
}

export function variantTerms(recipe: VariantRecipe): VariantTerms {
  const stems = Object.fromEntries(STEM_NAMES.map((name) => [name, 0])) as Record<StemName, number>;
  for (const name of recipe.stems ?? []) stems[name] = 1;
  for (const name of recipe.mixture_minus ?? []) stems[name] = -1;
  return { mixture: recipe.mixture_minus === undefined ? 0 : 1, stems };
}

/**
 * Picks variants for a command line: `instrumental,no_drums` names known recipes; `name=bass+other` sums
 * stems; `name=mixture-vocals` (or `mixture-vocals-drums`) subtracts stems from the mixture.
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
    const [name = '', formula] = item.split('=', 2);
    if (formula === undefined) {
      const recipe = known[name];
      if (recipe === undefined)
        throw new ImkError(
          'UNKNOWN_VARIANT',
          `unknown variant "${name}"; known: ${Object.keys(known).join(', ')}, or define one as name=bass+other or name=mixture-vocals`,
        );
      recipes[name] = recipe;
      continue;
    }
    const parts = formula.startsWith('mixture-')
      ? formula.slice('mixture-'.length).split('-')
      : formula.split('+');
    const raw = formula.startsWith('mixture-') ? { mixture_minus: parts } : { stems: parts };
    const checked = validateVariantRecipes({ [name]: raw }, '--variants');
    if (checked.recipes === undefined)
      throw new ImkError(
        'INVALID_VARIANT',
        `invalid variant "${item}": ${checked.errors.join('; ')} (stems: ${STEM_NAMES.join(', ')})`,
      );
    Object.assign(recipes, checked.recipes);
  }
  if (Object.keys(recipes).length === 0) throw new ImkError('INVALID_VARIANT', 'no variants given');
  return recipes;
}
