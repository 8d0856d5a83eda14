import type { z } from 'zod';

/**
 * Applies `IMK_<SERVICE>__<FIELD>__<SUBFIELD>=value` variables onto a config object. Segments match
 * schema keys case- and separator-insensitively (`REMOTE_ROOTS` matches `remoteRoots`); values are read
 * as JSON when they parse (numbers, booleans, arrays), else as strings. Returns the names used.
 */
export function applyEnvOverrides(
  service: string,
  schema: z.ZodType,
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): string[] {
  const prefix = `IMK_${normalizeEnv(service)}__`;
  const used: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const segments = name.slice(prefix.length).split('__');
    let target = config;
    let shape: z.ZodType | undefined = schema;
    for (const [index, segment] of segments.entries()) {
      const keys: string[] = shape ? objectKeys(shape) : Object.keys(target);
      const key: string = keys.find((k) => normalize(k) === normalize(segment)) ?? segment.toLowerCase();
      shape = shape ? fieldSchema(shape, key) : undefined;
      if (index === segments.length - 1) {
        target[key] = parseValue(raw);
      } else {
        const next = target[key];
        target =
          typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : (target[key] = {});
      }
    }
    used.push(name);
  }
  return used;
}

const normalize = (key: string): string => key.replace(/[^a-z0-9]/gi, '').toLowerCase();
const normalizeEnv = (service: string): string => service.replace(/[^a-z0-9]/gi, '_').toUpperCase();

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

// zod keeps its definition under `_zod.def`; unwrap optional/default/nullable to reach the object.
interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
}
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def = (current as unknown as { _zod: { def: Def } })._zod.def;
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}
function objectKeys(schema: z.ZodType): string[] {
  const def = (unwrap(schema) as unknown as { _zod: { def: Def } })._zod.def;
  return def.shape ? Object.keys(def.shape) : [];
}
function fieldSchema(schema: z.ZodType, key: string): z.ZodType | undefined {
  const def = (unwrap(schema) as unknown as { _zod: { def: Def } })._zod.def;
  return def.shape?.[key];
}
