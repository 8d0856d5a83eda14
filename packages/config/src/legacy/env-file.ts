import { decodeUtf8OrWindows1252 } from '@imk/fs-safe';
import type { LegacyEnv } from './types.ts';

/**
 * Reads the text of a `.env` file as docker compose gave the earlier version its variables: `KEY=value`
 * lines (`export ` allowed), blank and `#` lines skipped, each value cleaned by cleanLegacyValue and its
 * `${NAME}` references resolved from the lines above (interpolateLegacyValue).
 */
export function parseLegacyEnv(text: string): Record<string, string> {
  return readLegacyEnv(text).env;
}

/**
 * The text of a `.env` file's bytes: UTF-8, or, when they are not UTF-8 (a file saved by an editor on Windows
 * as "ANSI": `ARTIST_FALLBACK=Café` with é as the byte E9), Windows-1252, so that such a value is read as
 * written rather than with U+FFFD in place of each letter; `encoding` says which, for the report.
 */
export function decodeLegacyEnv(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  return decodeUtf8OrWindows1252(bytes);
}

/** A line of a `.env` file that was not read: not `KEY=value`, or a value naming a variable nobody sets. */
export interface UnreadLine {
  /** 1-based line number. */
  line: number;
  /** Its start, up to the first "=", ":" or space (at most 40 characters): never a value, which may be a secret. */
  text: string;
  /** Why it was not read, when it is a `KEY=value` line (its value refers to a variable that is not set). */
  reason?: string;
}

/** A variable set on more than one line: docker compose took the last, and so do we. */
export interface RepeatedKey {
  key: string;
  /** Every line that sets it, in order; the last one is used. */
  lines: number[];
}

/** What {@link readLegacyEnv} read from a `.env` file. */
export interface LegacyEnvFile {
  env: Record<string, string>;
  /** The line each variable was read from (the last, when it is set twice). */
  lineOf: Record<string, number>;
  unread: UnreadLine[];
  repeated: RepeatedKey[];
}

/**
 * {@link parseLegacyEnv}, with the line of each variable, the lines it could not read and the variables
 * set twice (so that none is dropped or replaced without a word). `${NAME}` references are resolved as
 * docker compose resolved them for the earlier version (see interpolateLegacyValue): from the variables
 * set above in the file, then from `outer` (the environment docker compose ran in).
 */
export function readLegacyEnv(
  text: string,
  outer: Readonly<Record<string, string | undefined>> = {},
): LegacyEnvFile {
  const env: Record<string, string> = {};
  const lineOf: Record<string, number> = {};
  const seen = new Map<string, number[]>();
  const unread: UnreadLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match) {
      unread.push({ line: index + 1, text: (/^[^=:\s]{1,40}/.exec(line) ?? [''])[0] });
      continue;
    }
    const key = match[1]!;
    const at = index + 1;
    seen.set(key, [...(seen.get(key) ?? []), at]);
    // A quoted value may go on over the next lines, as docker compose read it (NAS_SYNC_ROUTES='[ … ]').
    let raw = match[2]!;
    const last = closingLine(lines, index, raw);
    if (last !== undefined) {
      raw = [raw, ...lines.slice(index + 1, last + 1)].join('\n');
      index = last;
    }
    const value = interpolateLegacyValue(raw, (name) => env[name] ?? outer[name]);
    if (typeof value !== 'string') {
      // A later line setting it again wins, as in compose; an earlier value would be a stale one.
      delete env[key];
      delete lineOf[key];
      unread.push({ line: at, text: key, reason: value.problem });
      continue;
    }
    env[key] = value;
    lineOf[key] = at;
  }
  const repeated = [...seen].filter(([, lines]) => lines.length > 1).map(([key, lines]) => ({ key, lines }));
  return { env, lineOf, unread, repeated };
}

/**
 * The line that closes a quoted value opened on line `index` and left open there, or undefined (a value not
 * in quotes, closed on its own line, or never closed: then the line is read on its own, as before).
 */
function closingLine(lines: readonly string[], index: number, value: string): number | undefined {
  const start = value.trimStart();
  if ((start[0] !== '"' && start[0] !== "'") || readValue(value).quoted !== undefined) return undefined;
  let joined = value;
  for (let next = index + 1; next < lines.length; next += 1) {
    joined += `\n${lines[next]!}`;
    if (readValue(joined).quoted !== undefined) return next;
  }
  return undefined;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
/** `$$`, `${NAME}`, `${NAME:-default}` (and `-`, `:+`, `+`, `:?`, `?`), `$NAME`. */
const REFERENCE = new RegExp(`\\$(?:(\\$)|\\{(${NAME})(?:(:?[-+?])([^}]*))?\\}|(${NAME}))`, 'g');

/**
 * One value of a `.env` line as docker compose gave it to the earlier version: cleaned (cleanLegacyValue),
 * then, unless it was in single quotes, each `${NAME}` / `$NAME` replaced by that variable's value
 * (`${NAME:-default}` when it is unset or empty, `${NAME-default}` when unset, `${NAME:+other}`,
 * `${NAME:?message}`), and `$$` by `$`. A `${…}` that names no variable (`${remoteRoots.audio}` in
 * NAS_SYNC_ROUTES, which the earlier sync service expanded itself) is kept as written. A reference to a
 * variable that is not set is a problem, never an empty or a literal `${NAME}` setting.
 */
export function interpolateLegacyValue(
  value: string,
  lookup: (name: string) => string | undefined,
): string | { problem: string } {
  const { text, quoted } = readValue(value);
  return quoted === "'" ? text : expand(text, lookup);
}

function expand(text: string, lookup: (name: string) => string | undefined): string | { problem: string } {
  let problem: string | undefined;
  const inner = (arg: string): string => {
    const result = expand(arg, lookup);
    if (typeof result === 'string') return result;
    problem ??= result.problem;
    return '';
  };
  const out = text.replace(
    REFERENCE,
    (
      whole: string,
      dollar: string | undefined,
      braced: string | undefined,
      op: string | undefined,
      arg: string | undefined,
      bare: string | undefined,
    ) => {
      if (dollar !== undefined) return '$';
      const name = (braced ?? bare)!;
      const set = lookup(name);
      const usable = op?.startsWith(':') ? set !== undefined && set !== '' : set !== undefined;
      const kind = op?.replace(':', '');
      if (kind === '-') return usable ? set! : inner(arg ?? '');
      if (kind === '+') return usable ? inner(arg ?? '') : '';
      if (kind === '?') {
        if (!usable) problem ??= `\${${name}} is not set${arg ? ` (${arg})` : ''}; write the value itself`;
        return set ?? '';
      }
      if (set === undefined)
        problem ??= `refers to ${whole}, which is set neither above it in the file nor in this environment; write the value itself`;
      return set ?? '';
    },
  );
  return problem === undefined ? out : { problem };
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
  return readValue(value).text;
}

/** cleanLegacyValue, saying which quotes the value was in (single-quoted values are not interpolated). */
function readValue(value: string): { text: string; quoted?: '"' | "'" } {
  const s = value.trim();
  const quote = s[0];
  if (quote === '"' || quote === "'") {
    const quoted = quote === '"' ? /^"((?:[^"\\]|\\.)*)"(?:\s+#.*|\s*)$/s : /^'([^']*)'(?:\s+#.*|\s*)$/s;
    const match = quoted.exec(s);
    if (match)
      return { text: quote === '"' ? match[1]!.replace(/\\(["\\])/g, '$1') : match[1]!, quoted: quote };
  }
  const comment = /(?:^|\s)#/.exec(s);
  return { text: (comment ? s.slice(0, comment.index) : s).trim() };
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
