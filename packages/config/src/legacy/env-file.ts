import type { LegacyEnv } from './types.ts';

/**
 * Reads the text of a `.env` file as the earlier version read its variables: `KEY=value` lines, blank and
 * `#` lines skipped, an inline `# comment` stripped from the value, whitespace and quotes trimmed.
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

/** The earlier version's `_env_clean`: text after `#` dropped, whitespace and surrounding quotes trimmed. */
export function cleanLegacyValue(value: string): string {
  let s = value;
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(0, hash);
  s = s.trim();
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s.at(-1) === s[0]) s = s.slice(1, -1);
  return s;
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
