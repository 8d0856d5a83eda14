import { pickLegacy } from './env-file.ts';
import { EXTRA_GENERIC_KEYS } from './extra-keys.ts';
import { LEGACY_KEYS } from './table.ts';
import type { LegacyChange, LegacyEnv, LegacyKey } from './types.ts';

/** Something with a `warn(object, message)` method: a pino logger. */
export interface WarnLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

const ALL_KEYS = LEGACY_KEYS.map((entry) => entry.key);
/**
 * Names its retrievers read that many other programs set too: `imk migrate` converts them from its .env,
 * but finding them in an environment says nothing about the earlier version, so start-up does not warn.
 */
const TOO_GENERIC_TO_WARN = new Set([
  'LOG_LEVEL',
  'WORKING_DIR',
  'WATCH_INTERVAL',
  'SKIP_ON_ERROR',
  'MAX_RETRIES',
  ...EXTRA_GENERIC_KEYS,
]);

/** The earlier version's variables present in `env`, cleaned as it cleaned them. */
export function legacyVariablesIn(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { ...pickLegacy(env, ALL_KEYS) };
}

/**
 * What start-up does with a variable whose meaning is exactly one of our settings: the changes it makes, or
 * why it is not honoured. An empty value is not honoured (the earlier version read an empty variable as
 * unset: `_env_clean(...) or default`), nor one that does not mean our setting (QUEUE_* folders not named
 * youtube_audio, youtube_video, other under one parent, …).
 */
function honoured(entry: LegacyKey, found: LegacyEnv): LegacyChange[] | string {
  const value = found[entry.key] ?? '';
  if (value.trim() === '') return `${entry.key} is empty`;
  const changes = entry.convert?.(value, found) ?? [];
  if (typeof changes !== 'string') return changes;
  // A variable another one of the set covers (QUEUE_OTHER beside QUEUE_YOUTUBE_AUDIO) is honoured through it.
  return changes.includes('covered by') ? [] : changes;
}

/** One line per legacy variable: what it is here, honoured or not. */
export function legacyEnvWarnings(env: NodeJS.ProcessEnv = process.env): { key: string; message: string }[] {
  const found = legacyVariablesIn(env);
  const present = LEGACY_KEYS.filter((e) => found[e.key] !== undefined && !TOO_GENERIC_TO_WARN.has(e.key));
  return present.map((entry) => {
    const honour = entry.identical ? honoured(entry, found) : undefined;
    const what =
      typeof honour === 'string'
        ? `not honoured (${honour}); set ${entry.ours} instead`
        : entry.identical
          ? `honoured as ${entry.ours} (same meaning; the config file and IMK_* variables win over it)`
          : entry.ours !== undefined
            ? `not read here; our setting is ${entry.ours}`
            : `not read here and has no equivalent: ${entry.none ?? ''}`;
    return {
      key: entry.key,
      message: `${entry.key} is a variable of the earlier instrumental-maker: ${what}. \`imk migrate --env <its .env>\` writes our config from it (docs/migration.md).`,
    };
  });
}

/**
 * Warns once for each variable of the earlier version present in `env`. Each command calls it once, as it
 * starts (`imk up` once for all the services it starts together, so still one warning per variable); it
 * keeps nothing between calls, so a second call, to another logger, says them again.
 */
export function warnLegacyEnv(logger: WarnLogger, env: NodeJS.ProcessEnv = process.env): void {
  const said = new Set<string>();
  for (const { key, message } of legacyEnvWarnings(env)) {
    if (said.has(key)) continue;
    said.add(key);
    logger.warn({ legacy_variable: key }, message);
  }
}

function isSet(config: Record<string, unknown>, path: (string | number)[]): boolean {
  let node: unknown = config;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node !== undefined;
}

function setPath(config: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node = config;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    node = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : (node[part] = {});
  }
  node[path.at(-1)!] = value;
}

/** A config value set by a variable of the earlier version at start-up. */
export interface LegacyOverride {
  /** The variable, e.g. OUTPUTS_DIR. */
  name: string;
  /** The dotted config path it set, e.g. "outputs". */
  path: string;
}

/**
 * Honours the earlier version's variables whose meaning is exactly one of our settings (QUEUE_*,
 * OUTPUTS_DIR, YTDL_MODE, …) for the config file `service`, where that file does not set it. Applied
 * before the IMK_* overrides, which win. Returns each variable used with the path it set, so that an error
 * about that value names the variable.
 */
export function applyLegacyEnv(
  service: string,
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): LegacyOverride[] {
  const found = legacyVariablesIn(env);
  const used: LegacyOverride[] = [];
  for (const entry of LEGACY_KEYS) {
    if (!entry.identical || found[entry.key] === undefined) continue;
    const changes = honoured(entry, found);
    if (typeof changes === 'string') continue;
    for (const change of changes) {
      if (change.file !== service || isSet(config, change.path)) continue;
      setPath(config, change.path, change.value);
      used.push({ name: entry.key, path: change.path.join('.') });
    }
  }
  return used;
}
