import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { JobIdSchema } from '@imk/protocol';

/** A job id that can name a folder: the protocol's id rules (no `/`, no leading `.`). */
export function isJobId(value: string): boolean {
  return JobIdSchema.safeParse(value).success;
}

/**
 * Resolves `relativePath` inside `base`, or undefined when it would leave it: absolute paths, `..`
 * segments, NUL bytes, and symbolic links pointing outside `base` are all refused.
 */
export async function resolveInside(base: string, relativePath: string): Promise<string | undefined> {
  if (
    relativePath === '' ||
    relativePath.includes('\0') ||
    isAbsolute(relativePath) ||
    /^[a-zA-Z]:/.test(relativePath)
  )
    return undefined;
  const segments = relativePath.split(/[\\/]+/);
  if (segments.some((s) => s === '..' || s === '.')) return undefined;
  let realBase: string;
  let real: string;
  try {
    realBase = await realpath(base);
    real = await realpath(join(base, ...segments));
  } catch {
    return undefined;
  }
  const rel = relative(realBase, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return real;
}
