import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { ImkError, isAbsentErrno, isImkError } from '@imk/errors';
import { fileReadProblem, resolveInside, type PathOutsideReason } from '@imk/fs-safe';
import '../errors.ts';

// What "a model in models/" is, in one place: what `imk models` lists and `imk doctor` checks is what a job,
// a song's options file or the config may name as models/…, and the same rules hold for all three.

/** Where a root keeps its models: `<root>/models/`, subfolders included (UVR's `MDX_Net_Models/` copied in). */
export const MODELS_FOLDER = 'models';

export function modelsDir(root: string): string {
  return join(root, MODELS_FOLDER);
}

/** How deep below models/ models are looked for (UVR's own layout is one level: MDX_Net_Models/). */
const MAX_DEPTH = 8;

/**
 * `models/<path>` for a model named relative to the root (`models/a.onnx`, `models/UVR/b.onnx`, as `imk
 * models` lists it), or with `impliedFolder` also by its bare file name (`a.onnx`, as a song's options file
 * may name it); undefined when the name is not a plain relative path inside models/ (absolute, `..`, a
 * backslash, another folder, or deeper than `imk models` looks).
 */
export function modelsFolderPath(
  value: string,
  options: { impliedFolder?: boolean } = {},
): string | undefined {
  if (value.includes('\\') || posix.isAbsolute(value)) return undefined;
  let parts = posix
    .normalize(value)
    .split('/')
    .filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  if (options.impliedFolder === true && parts.length === 1) parts = [MODELS_FOLDER, ...parts];
  // As deep as imk models looks, and no deeper: what it does not list, a job cannot name.
  const fits = parts.length > 1 && parts.length <= MAX_DEPTH + 2 && parts[0] === MODELS_FOLDER;
  return fits ? parts.join('/') : undefined;
}

/**
 * `models/<path>` when a relative path from the config (any depth) is one in models/ (so held to its rules: no
 * link out of it), else undefined: `models/x.onnx`, `./models/UVR/x.onnx`, but not `other/x.onnx`.
 */
export function configuredModelsPath(value: string): string | undefined {
  if (posix.isAbsolute(value)) return undefined;
  const rel = posix.normalize(value.split(sep).join('/'));
  return rel.startsWith(`${MODELS_FOLDER}/`) ? rel : undefined;
}

/**
 * How a manifest names a model in models/ (`engine.params.model`): its path relative to models/, for
 * `models/UVR/MDX_Net_Models/x.onnx` (as modelsFolderPath / configuredModelsPath give it)
 * `UVR/MDX_Net_Models/x.onnx`; for one directly in models/ its file name, as manifests always said.
 */
export function modelNameInFolder(rel: string): string {
  return rel.slice(MODELS_FOLDER.length + 1);
}

/**
 * Throws ImkError MODEL_OUTSIDE_FOLDER when the model at `file` (inside `dir`, the models folder, by its
 * path) leaves it through a symbolic link (the file itself, or a folder on the way): models/ may itself be a
 * link (to a NAS share), and links that stay inside it are followed. MODEL_PATH_NOT_FOLDER (same policy)
 * when a part of its path before the file name is a file (`models/a.onnx/x.onnx`). A missing file passes here: the engine
 * says it is missing, and refuses what is not a regular file (a folder, a named pipe) without reading it.
 */
export async function assertInsideModelsFolder(dir: string, file: string): Promise<void> {
  const rel = relative(dir, file);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || posix.isAbsolute(rel))
    throw outside(file, `it is not inside ${MODELS_FOLDER}/`);
  try {
    await resolveInside(dir, rel, { rootName: `${MODELS_FOLDER}/` });
  } catch (error) {
    if (!isImkError(error, 'PATH_OUTSIDE')) return;
    // resolveInside says "<rel>: <component> is a symbolic link that leaves models/ (to …)", or "<rel>:
    // <component> is a file, not a folder".
    const problem = `${MODELS_FOLDER}/${error.message.slice(rel.length + 2)}`;
    const reason = error.details.reason as PathOutsideReason | undefined;
    if (reason === 'not-a-folder') throw notAFolder(file, problem);
    throw outside(file, problem);
  }
}

// models/a.onnx/x.onnx, where models/a.onnx is a file: no link, nothing to copy in; the name is wrong.
function notAFolder(file: string, problem: string): ImkError {
  return new ImkError(
    'MODEL_PATH_NOT_FOLDER',
    `MDX model ${file}: ${problem}, so nothing can be inside it; name the model by its path in ${MODELS_FOLDER}/ as imk models lists it`,
    { details: { file } },
  );
}

// The message says all of resolveInside's (which is not kept as the cause: it would be said twice).
function outside(file: string, problem: string): ImkError {
  return new ImkError(
    'MODEL_OUTSIDE_FOLDER',
    `MDX model ${file}: ${problem}; a model in ${MODELS_FOLDER}/ must be a file inside that folder (or its subfolders): copy the model there instead of linking to it`,
    { details: { file } },
  );
}

/**
 * The absolute path of the model a config, job or options file names as `models/…` (see modelsFolderPath),
 * once it is found not to leave models/ (assertInsideModelsFolder).
 */
export async function resolveModelInFolder(root: string, rel: string): Promise<string> {
  const file = join(root, ...rel.split('/'));
  await assertInsideModelsFolder(modelsDir(root), file);
  return file;
}

/**
 * What `imk models` and `imk doctor` look at, by path: every entry named `*.onnx` in `dir` and its subfolders
 * (whatever it is, so that a folder or a named pipe of that name is named as such), and every symbolic link
 * to a folder outside `dir` (its models would be refused). None when `dir` does not exist. Subfolders that
 * cannot be read are passed over. ImkError, naming `dir` and what to do, when `dir` itself is there but holds
 * no listing: a file (MODEL_PATH_NOT_FOLDER), a symbolic link to nothing (a share not mounted) or a folder
 * that cannot be read (MODEL_MISSING); "no models" would send the user copying models into it.
 */
export async function listMdxModelFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    if (isAbsentErrno(error)) {
      await assertNotDanglingLink(dir);
      return [];
    }
    throw unlistable(dir, error);
  }
  async function walk(folder: string, depth: number): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (depth === 0) throw unlistable(dir, error);
      return;
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.name.toLowerCase().endsWith('.onnx')) found.push(path);
      else if (entry.isDirectory()) {
        if (depth < MAX_DEPTH) await walk(path, depth + 1);
      } else if (entry.isSymbolicLink() && (await leavesAsFolder(real, path))) found.push(path);
    }
  }
  await walk(dir, 0);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Whether the link at `path` leads to a folder outside `realDir`. */
async function leavesAsFolder(realDir: string, path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isDirectory()) return false;
    const rel = relative(realDir, await realpath(path));
    return rel === '..' || rel.startsWith(`..${sep}`) || posix.isAbsolute(rel);
  } catch {
    return false;
  }
}

/** Throws when `dir` (not there by its real path) is a symbolic link to nothing: models/ linked to a NAS share. */
async function assertNotDanglingLink(dir: string): Promise<void> {
  let target: string;
  try {
    if (!(await lstat(dir)).isSymbolicLink()) return;
    target = await readlink(dir);
  } catch {
    return;
  }
  throw new ImkError(
    'MODEL_MISSING',
    `models folder ${dir} is a symbolic link to ${target}, which is not there (a share not mounted?): mount it or point the link at the folder that holds the .onnx models`,
    { details: { file: dir } },
  );
}

/** Why `imk models` / `imk doctor` cannot list the models folder `dir` (which is there), and what to do. */
function unlistable(dir: string, error: unknown): ImkError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR')
    return new ImkError(
      'MODEL_PATH_NOT_FOLDER',
      `models folder ${dir} is a file, not a folder: move that file aside and make ${dir} a folder with the .onnx models in it (docs/separation.md)`,
      { details: { file: dir } },
    );
  return new ImkError(
    'MODEL_MISSING',
    `models folder ${dir} cannot be listed: ${fileReadProblem(error)}; let the user imk runs as read it (r and x on the folder)`,
    { cause: error, details: { file: dir } },
  );
}
