import type { LegacyEnv } from './types.ts';

/**
 * Reads the text of a `.env` file as docker compose gave the earlier version its variables: `KEY=value`
 * lines (`export ` allowed), blank and `#` lines skipped, each value cleaned by cleanLegacyValue.
 */
export function parseLegacyEnv(text: string): Record<string, string> {
  return readLegacyEnv(text).env;
}

/** A line of a `.env` file that is not `KEY=value`, a comment or blank. */
export interface UnreadLine {
  /** 1-based line number. */
  line: number;
  /** Its start, up to the first "=", ":" or space (at most 40 characters): never a value, which may be a secret. */
  text: string;
}

/** {@link parseLegacyEnv}, with the lines it could not read (so that none is dropped without a word). */
export function readLegacyEnv(text: string): { env: Record<string, string>; unread: UnreadLine[] } {
  const env: Record<string, string> = {};
  const unread: UnreadLine[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match) {
      unread.push({ line: index + 1, text: (/^[^=:\s]{1,40}/.exec(line) ?? [''])[0] });
      return;
    }
    env[match[1]!] = cleanLegacyValue(match[2]!);
  });
  return { env, unread };
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

/**
 * Only the variables the earlier version knew, from a real environment (process.env), each value as the
 * environment holds it (trimmed). The `.env` rules (an inline `# comment`, quotes) are a file's syntax,
 * applied by readLegacyEnv when a file is read: docker compose has already applied them before a variable
 * reaches the environment, so a `#` or a quote in a variable is part of its value (a password `pa #ss`, a
 * folder `/music #2`), and a value read from a file is not cleaned a second time (`"a # b"` stays `a # b`).
 */
export function pickLegacy(env: NodeJS.ProcessEnv | LegacyEnv, keys: readonly string[]): LegacyEnv {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined) out[key] = value.trim();
  }
  return out;
}
