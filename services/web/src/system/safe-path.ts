import { realpath } from 'node:fs/promises';
import { assertRealFolder, resolveInside as resolveInsideRoot } from '@imk/fs-safe';
import { JobIdSchema } from '@imk/protocol';

/** A job id that can name a folder: the protocol's id rules (no `/`, no leading `.`). */
export function isJobId(value: string): boolean {
  return JobIdSchema.safeParse(value).success;
}

/**
 * Resolves `relativePath` inside `base` (an outputs/<job_id> folder), or undefined when it would leave it.
 * `base` must be a real folder, not a link to one; then fs-safe checks every component: absolute paths,
 * `..` segments, NUL bytes, and a link anywhere along the way that points outside `base` are refused.
 */
export async function resolveInside(base: string, relativePath: string): Promise<string | undefined> {
  if (relativePath === '' || relativePath.includes('\0') || /^[a-zA-Z]:/.test(relativePath)) return undefined;
  if (relativePath.split(/[\\/]+/).some((s) => s === '..' || s === '.')) return undefined;
  try {
    await assertRealFolder(base);
    const real = await resolveInsideRoot(base, relativePath);
    return real === (await realpath(base)) ? undefined : real;
  } catch {
    return undefined;
  }
}
