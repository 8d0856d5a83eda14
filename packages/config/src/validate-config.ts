import type { z } from 'zod';

export interface ConfigProblem {
  /** Dotted path of the field, e.g. "routes.2.backend". */
  path: string;
  message: string;
  /** What was found there, as short text. */
  found: string;
}

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; problems: ConfigProblem[] };

/** Validates an already-parsed config object. Pure: reads no file, so it is easy to test and reuse. */
export function validateConfig<S extends z.ZodType>(schema: S, json: unknown): ConfigResult<z.output<S>> {
  const result = schema.safeParse(json ?? {});
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      path: issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.'),
      message: issue.message,
      found: describeValue(valueAt(json, issue.path)),
    })),
  };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
