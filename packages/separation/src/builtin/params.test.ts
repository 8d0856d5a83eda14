import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { describe, expect, it } from 'vitest';
import { BuiltinParamsSchema, DEFAULT_BUILTIN_PARAMS, resolveBuiltinParams } from './params.ts';
import { replaceBuiltinParamsTable } from './params-table.ts';

const DOC = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'separation.md');
const KEYS = Object.keys(BuiltinParamsSchema.shape);

/** The error resolveBuiltinParams throws for these overrides (undefined when it accepts them). */
function refusal(overrides: Record<string, unknown>): Error | undefined {
  try {
    resolveBuiltinParams(overrides);
  } catch (error) {
    expect(isImkError(error, 'INVALID_PARAMS')).toBe(true);
    return error as Error;
  }
  return undefined;
}

describe('builtin engine parameters', () => {
  it("docs/separation.md's parameter table is the schema's (run `npm run schemas` after changing it)", async () => {
    const doc = await readFile(DOC, 'utf8');
    expect(doc).toContain('<!-- builtin-params -->');
    expect(replaceBuiltinParamsTable(doc), 'docs/separation.md is out of date: run `npm run schemas`').toBe(
      doc,
    );
    // Every parameter is a row, with the default the engine runs with.
    for (const key of KEYS)
      expect(doc).toContain(
        `| \`${key}\` | \`${JSON.stringify(DEFAULT_BUILTIN_PARAMS[key as keyof typeof DEFAULT_BUILTIN_PARAMS])}\` |`,
      );
  });

  it('every parameter has its default and its meaning in the schema', () => {
    expect(KEYS.length).toBeGreaterThan(30);
    expect(Object.keys(resolveBuiltinParams())).toEqual(KEYS);
    for (const key of KEYS) {
      const field = BuiltinParamsSchema.shape[key as keyof typeof BuiltinParamsSchema.shape];
      expect(field.description, key).toMatch(/\w{3}/);
      expect(typeof DEFAULT_BUILTIN_PARAMS[key as keyof typeof DEFAULT_BUILTIN_PARAMS], key).toBe('number');
    }
  });

  it('takes overrides over the defaults; a key set to undefined is unset', () => {
    expect(resolveBuiltinParams({ fftSize: 2048, hop: 512 })).toEqual({
      ...DEFAULT_BUILTIN_PARAMS,
      fftSize: 2048,
      hop: 512,
    });
    expect(resolveBuiltinParams({ hop: undefined, model: undefined } as Record<string, unknown>)).toEqual(
      DEFAULT_BUILTIN_PARAMS,
    );
  });

  it('refuses any value that is not a finite number, naming the parameter', () => {
    for (const key of KEYS)
      for (const value of ['5', null, true, Number.NaN, Number.POSITIVE_INFINITY])
        expect(refusal({ [key]: value })?.message).toBe(
          `builtin engine parameter ${key} must be a finite number, got ${String(value)}`,
        );
  });

  it('refuses an unknown parameter by its name', () => {
    expect(refusal({ fftsize: 2048 })?.message).toBe(
      'builtin engine parameter fftsize is not a builtin engine parameter',
    );
  });

  it.each([
    [{ fftSize: 63 }, 'fftSize must be an integer >= 64'],
    [{ hop: 3000 }, 'hop must divide fftSize (4096) at least twice'],
    [{ hop: 4096 }, 'hop must divide fftSize (4096) at least twice'],
    [{ harmonicMedian: 4 }, 'harmonicMedian must be an odd integer >= 1'],
    [{ secondPercussiveMedian: 0 }, 'secondPercussiveMedian must be an odd integer >= 1'],
    [{ fftSize: 64, hop: 16, percussiveMedian: 35 }, 'percussiveMedian is longer than the spectrum'],
    [{ repetNeighbours: -1 }, 'repetNeighbours must be an integer >= 0'],
    [{ repetBands: 0 }, 'repetBands must be an integer >= 1'],
    [{ repetIndexMaxSec: 3601 }, 'repetIndexMaxSec must be between 0 and 3600'],
    [{ repetGlobalCandidates: 65537 }, 'repetGlobalCandidates must be an integer between 1 and 65536'],
    [{ repetMinChoices: -1 }, 'repetMinChoices must be >= 0'],
    [{ bassRampHz: -1 }, 'bassRampHz must be >= 0'],
    [{ azimuthWidth: 0 }, 'azimuthWidth must be > 0'],
    [{ centreFloor: 1.5 }, 'centreFloor must be between 0 and 1'],
    [{ vocalMaskSmoothBins: 1.5 }, 'vocalMaskSmoothBins must be an integer between 0 and 64'],
    [{ vocalFusion: -0.1 }, 'vocalFusion must be between 0 and 1'],
    [{ spatialWienerPower: 0 }, 'spatialWienerPower must be > 0'],
  ])('refuses %j: %s', (overrides, message) => {
    expect(refusal(overrides)?.message).toBe(`builtin engine parameter ${message}`);
  });
});
