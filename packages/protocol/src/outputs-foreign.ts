import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACT_DIRS, MANIFEST_FILE, PUBLISHED_MARKER_FILE } from './outputs-layout.ts';
import { readOutputManifest, type OutputManifest } from './outputs.ts';

/** Entries looked at in one output folder (ours hold a few dozen). */
const WALK_MAX_ENTRIES = 10_000;

/**
 * The paths (relative to `outputs/<job_id>/`) the product wrote into a published folder: its manifest,
 * the publish marker and every artifact the manifest lists.
 */
function writtenByProduct(manifest: OutputManifest | undefined): Set<string> {
  // Without a manifest to say which: everything under files/, the artifacts' folder (ARTIFACT_DIRS).
  const artifacts = manifest === undefined ? [FILES_DIR] : manifest.artifacts.map((a) => a.path);
  // Compared in NFC: a share that stores names in NFD (macOS) gives back another spelling of the same name.
  return new Set([MANIFEST_FILE, PUBLISHED_MARKER_FILE, ...artifacts].map((path) => path.normalize('NFC')));
}

/** The folder every artifact of a job is under (`files/audio/…`, `files/stems/…`). */
const FILES_DIR = ARTIFACT_DIRS.audio.split('/')[0]!;

/**
 * What a user (or another program) put into a published output folder of ours (notes.txt, an edit of their
 * own under files/audio/, a folder of lyrics): every entry, read without following links, that `manifest`
 * does not account for, names compared in NFC (undefined: a manifest that cannot be read, and then all of
 * `files/` counts as the product's). A folder holding nothing of the product's is one entry, whole. Paths
 * are relative to `dir`, "/"-separated, shallowest first. Never opens a file: a FIFO or a link is listed as
 * what it is. A re-run keeps them in the job's new folder (the worker), and imk cleanup never removes a
 * replaced folder that still holds one.
 */
export async function entriesNotWritten(
  dir: string,
  manifest: OutputManifest | undefined,
): Promise<string[]> {
  const written = writtenByProduct(manifest);
  // The folders on the way to a product file: looked into, never taken whole.
  const onTheWay = new Set<string>();
  for (const path of written)
    for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1))
      onTheWay.add(path.slice(0, cut));
  const found: string[] = [];
  const pending = [''];
  let seen = 0;
  while (pending.length > 0 && seen < WALK_MAX_ENTRIES) {
    const rel = pending.shift()!;
    const entries = await readdir(rel === '' ? dir : join(dir, rel), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      seen++;
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const spelt = path.normalize('NFC');
      if (written.has(spelt)) continue;
      if (entry.isDirectory() && onTheWay.has(spelt)) pending.push(path);
      else found.push(path);
    }
  }
  return found;
}

/**
 * Why a replaced output folder of ours (`outputs/.replaced/<job_id>@<time>/`) must not be removed by
 * retention, or undefined when it holds only what the product wrote: it holds files a user put there (a
 * re-run before this version moved them aside with the job's files).
 */
export async function replacedFolderHold(dir: string): Promise<string | undefined> {
  // A link or a file there is no folder of ours: nothing in it is looked at (cleanup removes the link only).
  if (!(await lstat(dir)).isDirectory()) return undefined;
  const read = await readOutputManifest(dir).catch(() => undefined);
  const foreign = await entriesNotWritten(dir, read?.ok === true ? read.manifest : undefined);
  if (foreign.length === 0) return undefined;
  const shown = foreign.slice(0, 3).join(', ');
  const more = foreign.length > 3 ? ` and ${foreign.length - 3} more` : '';
  return `it holds ${shown}${more}, not written by imk (put there by you or another program): move what you want to keep out of it, then remove the folder or let the next cleanup do it`;
}
