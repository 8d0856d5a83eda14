import type { FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ImkError, errorMessage } from '@imk/errors';
import { openUntrusted } from '@imk/fs-safe';
import type { OpenedFolder } from '@imk/media';
import type { Job } from '@imk/protocol';
import './errors.ts';

/**
 * The claimed bundle's files a job reads (its song, its video, its cover), each opened once, the untrusted
 * way, when the job starts. Every later read goes through that descriptor (media readers take this as
 * `within`): probe, hash, decode, the mix from cached stems, the .stem.mp4, the video's new sound, the
 * source copy, the cover at each encode. A file renamed over one of them inside the claimed bundle
 * meanwhile is never read, so what is hashed and recorded (the manifest's input.sha256, the stem cache
 * key, the output key) is what is separated, mixed and embedded.
 */
export interface BundleFiles extends OpenedFolder {
  opened: Map<string, FileHandle>;
  /** Why a file could not be opened, by path: said by the step that needs it, as a read by name said it. */
  failed: Map<string, Error>;
}

export function bundleFiles(dir: string): BundleFiles {
  return { dir, opened: new Map(), failed: new Map() };
}

/**
 * Opens the bundle file `name` (a plain name checked by the bundle's validation) and holds it; a file that
 * cannot be opened (missing, a link, a FIFO) is not held and the reason is kept in `failed`.
 */
export async function holdBundleFile(files: BundleFiles, name: string): Promise<void> {
  const path = join(files.dir, name);
  if (files.opened.has(path) || files.failed.has(path)) return;
  try {
    files.opened.set(path, (await openUntrusted(path, { name, within: files.dir })).handle);
  } catch (error) {
    files.failed.set(path, error instanceof Error ? error : new Error(String(error)));
  }
}

/** The descriptor held for `path`; else the error its open gave (the same error a read by name gives). */
export function heldFile(files: BundleFiles, path: string): FileHandle {
  const handle = files.opened.get(path);
  if (handle !== undefined) return handle;
  throw files.failed.get(path) ?? new Error(`${path} was not opened when the job started`);
}

/**
 * Checks that the video of job `jobId` (a bundle file other than its song) was opened when the job started.
 * One that was not (swapped for a link or a FIFO, or renamed away, after the claim's check) is never read by
 * name later, when whatever is there then would be published as this job's video: the job fails with
 * VIDEO_UNREADABLE naming the job and the file (the video is what a video job makes; the bundle is kept).
 */
export function checkVideoHeld(files: BundleFiles, jobId: string, name: string): void {
  const path = join(files.dir, name);
  if (files.opened.has(path)) return;
  const cause = files.failed.get(path);
  // Named as the bundle names it: the claimed folder is gone once the job is archived.
  const why = errorMessage(cause ?? 'not opened')
    .split(`${files.dir}${sep}`)
    .join('');
  throw new ImkError(
    'VIDEO_UNREADABLE',
    `job ${jobId}: video_path "${name}" could not be opened when the job started (${why}); the job is not made without its video: put the video in the bundle as a regular file, then \`imk retry ${jobId}\``,
    { cause, details: { job_id: jobId, file: name } },
  );
}

/**
 * Checks that the input as opened when the job started (its descriptor, the bytes the job separates, hashed
 * by the hash stage) is the file job.json declares in files[], when it declares it. The claim checked the
 * declaration on a read of its own: a file renamed over the input, or damaged, after that check (a producer
 * still writing into the bundle, a bundle made by copying one whose song was damaged since) was separated
 * and published as the song without a word. Fails with INPUT_CHANGED, naming the file and both hashes.
 */
export function checkDeclaredInput(
  job: Job,
  name: string,
  opened: { sha256: string; bytes: number },
  retryId: string,
): void {
  const declared = job.files?.find((file) => file.path === name);
  if (declared === undefined) return;
  if (declared.sha256 === opened.sha256 && declared.bytes === opened.bytes) return;
  throw new ImkError(
    'INPUT_CHANGED',
    `${name} as opened to be separated has sha256 ${opened.sha256} (${opened.bytes} bytes), but job.json declares sha256 ${declared.sha256} (${declared.bytes} bytes) in files[]: the file was replaced or damaged in the bundle after the claim checked it. Nothing was made from it; the bundle is kept in failed/: put the right file in it, then: imk retry ${retryId}`,
    {
      details: {
        job_id: job.job_id,
        file: name,
        declared_sha256: declared.sha256,
        actual_sha256: opened.sha256,
        declared_bytes: declared.bytes,
        actual_bytes: opened.bytes,
      },
    },
  );
}

export async function releaseBundleFiles(files: BundleFiles): Promise<void> {
  const handles = [...files.opened.values()];
  files.opened.clear();
  await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
}
