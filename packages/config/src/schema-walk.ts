import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';

// zod 4 keeps a schema's definition under `_zod.def`. Only the fields read here are declared.
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/default/nullable/readonly/catch wrappers and the input side of pipes. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

/** The keys an object schema declares ([] for anything else). */
export function objectKeys(schema: z.ZodType): string[] {
  return Object.keys(defOf(unwrap(schema)).shape ?? {});
}

/** The schema of one field of an object schema. */
export function fieldSchema(schema: z.ZodType, key: string): z.ZodType | undefined {
  return defOf(unwrap(schema)).shape?.[key];
}

export interface UnknownKey {
  /** Path of the unknown key itself, e.g. ["stems", "kep"]. */
  path: (string | number)[];
  key: string;
  /** The declared key it most likely meant, if one is close. */
  suggestion: string | undefined;
  /** The keys declared where it was found. */
  known: string[];
  /** For a setting of an earlier version that something else replaced (retiredKeys): what to write instead. */
  retired?: string;
}

/** Where retiredKeys keeps its hints, in zod's registry of schema metadata. */
const RETIRED = 'imkRetiredKeys';

/**
 * The object schema `schema`, knowing settings of an earlier version that it no longer takes: such a key
 * is still an unknown setting, and its message says what replaced it (`hints[key]`) instead of guessing
 * a near name. Call it last (zod keeps metadata per schema instance).
 */
export function retiredKeys<S extends z.ZodType>(schema: S, hints: Readonly<Record<string, string>>): S {
  return schema.meta({ [RETIRED]: hints });
}

/** The retired keys' hints on `schema` and every wrapper unwrap goes through. */
function retiredOf(schema: z.ZodType): Record<string, string> {
  const hints: Record<string, string> = {};
  let current = schema;
  for (let i = 0; i < 16; i++) {
    const found = z.globalRegistry.get(current)?.[RETIRED] as Record<string, string> | undefined;
    Object.assign(hints, found);
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return hints;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Keys present in `value` that `schema` does not declare, at any depth. zod's plain objects drop such keys
 * without a word, so a misspelt setting (`stems: {kep: true}`) would silently do nothing; objects declared
 * loose (a catch-all) and records accept any key and are not reported.
 */
export function findUnknownKeys(
  schema: z.ZodType,
  value: unknown,
  path: (string | number)[] = [],
): UnknownKey[] {
  const inner = unwrap(schema);
  const def = defOf(inner);
  switch (def.type) {
    case 'object': {
      if (!isPlainObject(value)) return [];
      const shape = def.shape ?? {};
      const known = Object.keys(shape);
      const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
      const retired = retiredOf(schema);
      return Object.entries(value).flatMap(([key, child]) => {
        const field = shape[key];
        if (field) return findUnknownKeys(field, child, [...path, key]);
        if (open) return [];
        const hint = Object.hasOwn(retired, key) ? retired[key] : undefined;
        if (hint !== undefined)
          return [{ path: [...path, key], key, suggestion: undefined, known, retired: hint }];
        return [{ path: [...path, key], key, suggestion: suggest(key, known), known }];
      });
    }
    case 'array':
      return Array.isArray(value) && def.element
        ? value.flatMap((item, index) => findUnknownKeys(def.element!, item, [...path, index]))
        : [];
    case 'record':
      return isPlainObject(value) && def.valueType
        ? Object.entries(value).flatMap(([key, child]) =>
            findUnknownKeys(def.valueType!, child, [...path, key]),
          )
        : [];
    case 'union':
      return unionUnknownKeys(def, value, path);
    default:
      return [];
  }
}

/** In a union, the option the value was meant for: by discriminator, else the one that fits best. */
function unionUnknownKeys(def: Def, value: unknown, path: (string | number)[]): UnknownKey[] {
  const options = (def.options ?? []).filter((option) => defOf(unwrap(option)).type === 'object');
  if (!isPlainObject(value) || options.length === 0) return [];
  if (def.discriminator !== undefined) {
    const tag = value[def.discriminator];
    const chosen = options.find((option) => {
      const field = fieldSchema(option, def.discriminator!);
      return field !== undefined && (defOf(unwrap(field)).values ?? []).includes(tag);
    });
    // An unknown discriminator value is zod's error to report; the keys cannot be judged without it.
    return chosen ? findUnknownKeys(chosen, value, path) : [];
  }
  let best: UnknownKey[] | undefined;
  for (const option of options) {
    const found = findUnknownKeys(option, value, path);
    if (!best || found.length < best.length) best = found;
  }
  return best ?? [];
}

const normalize = (key: string): string => key.replace(/[^a-z0-9]/gi, '').toLowerCase();

/** A declared key that differs only in case or separators (target_lufs → targetLufs) or by a typo or two. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const same = known.find((candidate) => normalize(candidate) === normalize(key));
  if (same) return same;
  const near = closest(key, [...known]);
  return distance(key, near) <= Math.max(1, Math.min(3, Math.floor(key.length / 3))) ? near : undefined;
}
