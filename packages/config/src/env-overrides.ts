import type { z } from 'zod';
import { fieldSchema, objectKeys } from './schema-walk.ts';

export interface EnvOverride {
  /** The variable, e.g. IMK_NAS_SYNC__CONCURRENCY. */
  name: string;
  /** The dotted config path it set, e.g. "nasSync.concurrency". */
  path: string;
}

/**
 * Applies `IMK_<SERVICE>__<FIELD>__<SUBFIELD>=value` variables onto a config object. Segments match
 * schema keys case- and separator-insensitively (`REMOTE_ROOTS` matches `remoteRoots`); values are read
 * as JSON when they parse (numbers, booleans, arrays), else as strings without the spaces and line breaks
 * around them. Returns each variable used with the config path it set.
 */
export function applyEnvOverrides(
  service: string,
  schema: z.ZodType,
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): EnvOverride[] {
  const prefix = `IMK_${normalizeEnv(service)}__`;
  const used: EnvOverride[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const segments = name.slice(prefix.length).split('__');
    let target = config;
    let shape: z.ZodType | undefined = schema;
    const path: string[] = [];
    for (const [index, segment] of segments.entries()) {
      const keys: string[] = shape ? objectKeys(shape) : Object.keys(target);
      const key: string = keys.find((k) => normalize(k) === normalize(segment)) ?? segment.toLowerCase();
      path.push(key);
      shape = shape ? fieldSchema(shape, key) : undefined;
      if (index === segments.length - 1) {
        target[key] = parseValue(raw);
      } else {
        const next = target[key];
        target =
          typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : (target[key] = {});
      }
    }
    used.push({ name, path: path.join('.') });
  }
  return used;
}

const normalize = (key: string): string => key.replace(/[^a-z0-9]/gi, '').toLowerCase();
const normalizeEnv = (service: string): string => service.replace(/[^a-z0-9]/gi, '_').toUpperCase();

/**
 * A variable's value: JSON when it parses, else its text without the spaces and line breaks around it. An env
 * file written on Windows gives `docker run --env-file` its lines' "\r", and a value may end in a space: a
 * remote root "/mnt/nas\r" was a new folder beside the share, on this host's own disk, and "fail " no
 * conflict policy. Secrets (secrets.ts) and the earlier version's .env are read the same way.
 */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw.trim();
  }
}
