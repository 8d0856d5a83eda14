import type { LegacyEnv } from './types.ts';

/**
 * Reads the text of a `.env` file as docker compose gave the earlier version its variables: `KEY=value`
 * lines (`export ` allowed), blank and `#` lines skipped, each value cleaned by cleanLegacyValue.
 */
export function parseLegacyEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match) continue;
    env[match[1]!] = cleanLegacyValue(match[2]!);
  }
  return env;
}

/**
 * One value as the earlier version's users meant it (docker compose's and python-dotenv's rule): a `#`
 * starts a comment only at the start of the value or after whitespace (`true   # note` is `true`), so
 * one inside a value is kept (a password `pa#ss`, a URL's `#fragment`). A value in quotes is taken as
 * quoted, `#` included (`"a # b"`), and a comment after the closing quote is dropped; `\"` and `\\`
 * inside double quotes are one character. (The earlier Python code also cut at any `#`, which made
 * such passwords unusable there; the value the user wrote is what is carried over.)
 */
export function cleanLegacyValue(value: string): string {
  const s = value.trim();
  const quote = s[0];
  if (quote === '"' || quote === "'") {
    const quoted = quote === '"' ? /^"((?:[^"\\]|\\.)*)"(?:\s+#.*|\s*)$/s : /^'([^']*)'(?:\s+#.*|\s*)$/s;
    const match = quoted.exec(s);
    if (match) return quote === '"' ? match[1]!.replace(/\\(["\\])/g, '$1') : match[1]!;
  }
  const comment = /(?:^|\s)#/.exec(s);
  return (comment ? s.slice(0, comment.index) : s).trim();
}

/** The earlier version's `env_bool`: 1, true, yes, on (any case) are true. */
export function legacyBool(value: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

/** Only the variables the earlier version knew, from an environment (process.env or a parsed file). */
export function pickLegacy(env: NodeJS.ProcessEnv | LegacyEnv, keys: readonly string[]): LegacyEnv {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined) out[key] = cleanLegacyValue(value);
  }
  return out;
}
