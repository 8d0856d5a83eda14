import { realpath, type FileHandle } from 'node:fs/promises';
import { assertRealFolder, openUntrusted, resolveInside as resolveInsideRoot } from '@imk/fs-safe';
import { JobIdSchema, isListedOutputName } from '@imk/protocol';

/** A job id that can name a folder: the protocol's id rules (no `/`, no leading `.`). */
export function isJobId(value: string): boolean {
  return JobIdSchema.safeParse(value).success;
}

/**
 * A name the dashboard may read an output under: a job id, or an earlier-version folder name that is none
 * here (spaces around it: shown and downloaded, read-only: no retry, cancel or remix).
 */
export function isOutputName(value: string): boolean {
  return isListedOutputName(value);
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

/** An artifact opened the untrusted way: its real path, what identifies that very file, and the descriptor. */
export interface OpenedArtifact {
  file: string;
  /** Device, inode, size and mtime (ns) of the file as opened: a cache key no manifest value can fake. */
  identity: string;
  /** Open on that very file: readers (ffmpeg) read it from here, never by name again. The caller closes it. */
  handle: FileHandle;
}

/**
 * Opens `artifactPath` inside `outputs/<jobId>` the untrusted way, after checking it is a regular file
 * there (a real folder; no `..`, no link leading out; not a FIFO, device or folder), and says which file it
 * is. Throws fs-safe's errors (PATH_OUTSIDE, FILE_NOT_REGULAR, FILE_MISSING…) naming the artifact.
 */
export async function openArtifact(
  jobDir: string,
  jobId: string,
  artifactPath: string,
): Promise<OpenedArtifact> {
  const where = `outputs/${jobId}`;
  await assertRealFolder(jobDir, where);
  const file = await resolveInsideRoot(jobDir, artifactPath, { rootName: where });
  const { handle } = await openUntrusted(file, { name: `${where}/${artifactPath}`, within: jobDir });
  try {
    const info = await handle.stat({ bigint: true });
    return { file, identity: `${info.dev}-${info.ino}-${info.size}-${info.mtimeNs}`, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
