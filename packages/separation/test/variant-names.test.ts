import { describe, expect, it } from 'vitest';
import { JobOptionsSchema, VariantNameSchema } from '@imk/protocol';
import { validateVariantRecipes } from '../src/variants.ts';

describe('variant names', () => {
  it('a recipe name config accepts is a name a job may ask for', () => {
    const names = ['instrumental', 'no_drums', 'no-vocals', '8bit', 'karaoke-v2'];
    const config = Object.fromEntries(names.map((name) => [name, { mixture_minus: ['vocals'] }]));
    expect(validateVariantRecipes(config).errors).toEqual([]);
    const job = JobOptionsSchema.safeParse({ variants: names });
    expect(job.success).toBe(true);
  });

  it('refuses the same names in both places, with one message', () => {
    for (const bad of ['No-Vocals', '-x', 'a/b', 'a'.repeat(65), '']) {
      expect(VariantNameSchema.safeParse(bad).success).toBe(false);
      expect(validateVariantRecipes({ [bad]: { stems: ['bass'] } }).errors).not.toEqual([]);
      expect(JobOptionsSchema.safeParse({ variants: [bad] }).success).toBe(false);
    }
  });
});
