import type { z } from 'zod';
import { findUnknownKeys } from './schema-walk.ts';

export interface ConfigProblem {
  /** Dotted path of the field, e.g. "routes.2.backend". */
  path: string;
  message: string;
  /** What was found there, as short text. */
  found: string;
}

export type ConfigResult<T> = { ok: true; config: T } | { ok: false; problems: ConfigProblem[] };

/**
 * Validates an already-parsed config object. Pure: reads no file, so it is easy to test and reuse.
 * A key the schema does not declare is a problem too (with the key it most likely meant): zod alone
 * would drop it silently, and a misspelt setting would do nothing.
 */
export function validateConfig<S extends z.ZodType>(schema: S, json: unknown): ConfigResult<z.output<S>> {
  const input = json ?? {};
  const result = schema.safeParse(input);
  const unknown: ConfigProblem[] = findUnknownKeys(schema, input).map((entry) => ({
    path: dotted(entry.path),
    message:
      entry.suggestion === undefined
        ? `unknown setting "${entry.key}" (known here: ${entry.known.join(', ') || 'none'})`
        : `unknown setting "${entry.key}"; did you mean "${entry.suggestion}"?`,
    found: describeValue(valueAt(input, entry.path)),
  }));
  if (result.success && unknown.length === 0) return { ok: true, config: result.data };
  // zod's own "Unrecognized key" issues (strict objects) are dropped when reported above with a suggestion.
  const reported = new Set(unknown.map((problem) => problem.path));
  const issues = result.success
    ? []
    : result.error.issues.filter(
        (issue) =>
          issue.code !== 'unrecognized_keys' ||
          issue.keys.some((key) => !reported.has(dotted([...issue.path, key]))),
      );
  return {
    ok: false,
    problems: [
      ...issues.map((issue) => ({
        path: dotted(issue.path),
        message: issue.message,
        found: describeValue(valueAt(input, issue.path)),
      })),
      ...unknown,
    ],
  };
}

const dotted = (path: readonly PropertyKey[]): string =>
  path.length === 0 ? '(top level)' : path.map(String).join('.');

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
