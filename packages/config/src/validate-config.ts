import type { z } from 'zod';
import { oneIssuePerField } from '@imk/errors';
import { isSecretPath, redactText, redactValue } from '@imk/log';
import { findUnknownKeys } from './schema-walk.ts';

export interface ConfigProblem {
  /** Dotted path of the field, e.g. "routes.2.backend". */
  path: string;
  message: string;
  /**
   * What was found there, as short text. Never a secret: under a secret-named field (password, token,
   * secretAccessKey, arl…) only its type and length are told, whatever the verdict on it.
   */
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
      entry.retired !== undefined
        ? `unknown setting "${entry.key}": ${entry.retired}`
        : entry.suggestion === undefined
          ? `unknown setting "${entry.key}" (known here: ${entry.known.join(', ') || 'none'})`
          : `unknown setting "${entry.key}"; did you mean "${entry.suggestion}"?`,
    // A misspelt secret ("pasword") is still a secret: judged by the name it most likely meant too.
    found: describeValue(
      valueAt(input, entry.path),
      entry.suggestion === undefined ? entry.path : [...entry.path, entry.suggestion],
    ),
  }));
  if (result.success && unknown.length === 0) return { ok: true, config: result.data };
  // zod's own "Unrecognized key" issues (strict objects) are dropped when reported above with a suggestion.
  const reported = new Set(unknown.map((problem) => problem.path));
  const issues = result.success
    ? []
    : oneIssuePerField(result.error.issues, schema).filter(
        (issue) =>
          issue.code !== 'unrecognized_keys' ||
          issue.keys.some((key) => !reported.has(dotted([...issue.path, key]))),
      );
  return {
    ok: false,
    problems: [
      ...issues.map((issue) => ({
        path: dotted(issue.path),
        message: redactText(emptySection(issue, valueAt(input, issue.path)) ?? issue.message),
        found: describeValue(valueAt(input, issue.path), issue.path),
      })),
      ...unknown,
    ],
  };
}

/**
 * A key written with nothing after it (`events:`) is null in YAML, not "no settings": zod's "expected
 * object, received null" does not say so, or what to write.
 */
function emptySection(issue: z.core.$ZodIssue, value: unknown): string | undefined {
  if (issue.code !== 'invalid_type' || value !== null) return undefined;
  const key = String(issue.path.at(-1) ?? '');
  const list = issue.expected === 'array';
  if (!list && issue.expected !== 'object' && issue.expected !== 'record') return undefined;
  return `"${key}:" has nothing after it (YAML reads that as null, not as ${list ? 'an empty list' : 'no settings'}): write its ${list ? 'entries ("- …" lines)' : 'settings'} indented below it, or remove the line`;
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

function describeValue(value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined) return 'nothing';
  if (isSecretPath(path)) return hiddenSecret(value);
  // An object may hold secrets below (a backend with its password): those are hidden, the rest is shown.
  const text = JSON.stringify(redactValue(value)) ?? typeof value;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A secret's shape without its content, so the user still learns what kind of value was wrong. */
function hiddenSecret(value: unknown): string {
  if (typeof value === 'string') return `a secret string of ${value.length} characters, not shown`;
  if (value === null) return 'null';
  if (typeof value === 'object') return `${Array.isArray(value) ? 'a list' : 'an object'}, not shown`;
  return `a ${typeof value}, not shown`;
}
