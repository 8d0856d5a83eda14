import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { digestHandle, openUntrusted, readUntrustedFile, resolveInside } from '@imk/fs-safe';
import type { Job } from './job.ts';
import { validateJob, type ValidationProblem } from './validate.ts';
import { JOB_FILE } from './job.ts';
import { LEGACY_READ_NOTES } from './legacy-job.ts';
import { latin1Note, nonFiniteNote, parseDocumentBytes, utf16Note } from './legacy-text.ts';
import { audioFilePath, resolveCover, spellAsOnDisk } from './songs.ts';

export { JOB_FILE } from './job.ts';
/** Largest job.json accepted: the document is a few KiB; anything near this is not a job. */
export const JOB_FILE_MAX_BYTES = 1 << 20;

export type BundleResult = { ok: true; job: Job } | { ok: false; problems: ValidationProblem[] };

export interface ReadBundleOptions {
  /** Check each `files[]` entry's sha256 and size against the file. @default true */
  verifyHashes?: boolean;
}

/**
 * A bundle's job.json as its producer wrote it, parsed but not validated (what the dashboard shows, what the
 * ledger's rebuild takes its facts from): the one way to open it, so a FIFO, a device or a link is refused,
 * not read, and every reader has the queue's size limit. Throws fs-safe's error, naming job.json.
 */
export async function readJobJson(dir: string): Promise<unknown> {
  const bytes = await readUntrustedFile(join(dir, JOB_FILE), {
    name: JOB_FILE,
    maxBytes: JOB_FILE_MAX_BYTES,
  });
  const { json, latin1, nonFinite, utf16 } = parseDocumentBytes(bytes, JOB_FILE);
  // The earlier version's job.json saved as Latin-1, or holding Python's NaN: read so, and said in the
  // job's warnings.
  const notes = [
    ...(latin1 ? [latin1Note(JOB_FILE)] : []),
    ...(utf16 ? [utf16Note(JOB_FILE)] : []),
    ...nonFinite.map((entry) => nonFiniteNote(JOB_FILE, entry)),
  ];
  if (notes.length > 0) (json as Record<string, unknown>)[LEGACY_READ_NOTES] = notes;
  return json;
}

/**
 * Reads and checks a bundle folder: `job.json` parses and validates, every file it names is a regular
 * file inside the bundle (no absolute paths, no `..`, no symlink leaving it), and declared sha256s and
 * sizes match. Returns every problem found, each with the field it concerns. A name spelt in another Unicode
 * normalisation than the file's (NFC / NFD) is accepted, and the returned job spells it as on disk.
 */
export async function readBundle(dir: string, options: ReadBundleOptions = {}): Promise<BundleResult> {
  let json: unknown;
  try {
    json = await readJobJson(dir);
  } catch (error) {
    const message = isImkError(error, 'FILE_MISSING')
      ? 'job.json is missing from the bundle'
      : (error as Error).message;
    return { ok: false, problems: [{ path: JOB_FILE, message }] };
  }
  const parsed = validateJob(json);
  if (!parsed.ok) return parsed;
  const problems: ValidationProblem[] = [];
  const root = await realpath(dir);
  // The names as spelt on disk (NFC in job.json, NFD from macOS on disk, or the other way round), so that
  // the checks below and every consumer of the returned job open the files it names.
  const job = await spellAsOnDisk(root, parsed.value);
  // A cover that is not there is no reason to refuse the job (the earlier version went on without it):
  // bundleSongs says so in the manifest. One that is there is checked like every other file.
  const { cover } = await resolveCover(root, job);
  const named: [string, string | undefined][] = [
    ['audio_path', job.audio_path],
    ['video_path', job.video_path],
    ['cover_path', cover],
    ...(await Promise.all(
      (job.audio_files ?? []).map(async (name, index): Promise<[string, string]> => [
        `audio_files.${index}`,
        await audioFilePath(root, name),
      ]),
    )),
    ...(job.files ?? []).map((file, index): [string, string] => [`files.${index}.path`, file.path]),
  ];
  // audio_path is usually listed in files[] too: check each distinct path on disk once.
  const checked = new Map<string, Promise<FileCheck>>();
  for (const [field, path] of named) {
    if (path === undefined) continue;
    let check = checked.get(path);
    if (!check) checked.set(path, (check = checkFile(root, path)));
    const { problem } = await check;
    if (problem) problems.push({ file: JOB_FILE, path: field, message: problem });
  }
  if (problems.length === 0 && options.verifyHashes !== false) {
    for (const [index, file] of (job.files ?? []).entries()) {
      const full = (await checked.get(file.path))?.real;
      if (full === undefined) continue;
      let actual: string;
      let size: number;
      try {
        ({ size, sha256: actual } = await sizeAndHash(full, file.path, root, file.bytes));
      } catch (error) {
        problems.push({ file: JOB_FILE, path: `files.${index}.path`, message: (error as Error).message });
        continue;
      }
      if (size !== file.bytes) {
        problems.push({
          file: JOB_FILE,
          path: `files.${index}.bytes`,
          message: `${file.path} has ${size} bytes, job.json says ${file.bytes}`,
        });
        continue;
      }
      if (actual !== file.sha256)
        problems.push({
          file: JOB_FILE,
          path: `files.${index}.sha256`,
          message: `${file.path} has sha256 ${actual}, job.json says ${file.sha256} (the file changed or is damaged)`,
        });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, job };
}

interface FileCheck {
  /** The file's real path, inside the bundle. */
  real?: string;
  problem?: string;
}

/**
 * A named file must resolve, through every path component, to a regular file inside the bundle that this
 * process may open (a FIFO, a device, a link leaving the bundle, no permission: each is a problem).
 */
async function checkFile(root: string, path: string): Promise<FileCheck> {
  try {
    const real = await resolveInside(root, path, { rootName: 'the bundle' });
    const { handle } = await openUntrusted(real, { name: path, within: root });
    await handle.close();
    return { real };
  } catch (error) {
    return {
      problem: isImkError(error, 'FILE_MISSING')
        ? `${path} is named in job.json but missing from the bundle`
        : (error as Error).message,
    };
  }
}

/**
 * The size of a bundle file and, when it is the size declared, its sha256: both of one descriptor, so that
 * a file swapped between the two reads cannot pass with one file's size and another's hash.
 */
async function sizeAndHash(
  path: string,
  name: string,
  root: string,
  declaredBytes: number,
): Promise<{ size: number; sha256: string }> {
  const { handle, size } = await openUntrusted(path, { name, within: root });
  try {
    if (size !== declaredBytes) return { size, sha256: '' };
    const { sha256 } = await digestHandle(handle, ['sha256']);
    return { size, sha256 };
  } finally {
    await handle.close();
  }
}
