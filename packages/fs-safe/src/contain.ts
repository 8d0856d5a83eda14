import { lstat, readdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Stats } from 'node:fs';
import { ImkError, isAbsentErrno } from '@imk/errors';
import { describeKind } from './file-kind.ts';
import { openUntrusted, untrustedErrnoError, type UntrustedOpenOptions } from './untrusted.ts';

export interface ContainOptions {
  /** What the root is, for messages: "the bundle", "the request folder", "the inbox", "the outputs folder". */
  rootName?: string;
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Why a path is refused, in `details.reason` (with `details.component`, the part of it at fault, for the last
 * two): 'not-relative' (absolute or with `..`), 'link-leaves' (a symbolic link out of the root),
 * 'not-a-folder' (a part before the last is a file or another non-folder).
 */
export type PathOutsideReason = 'not-relative' | 'link-leaves' | 'not-a-folder';

function outside(message: string, path: string, reason: PathOutsideReason, component?: string): ImkError {
  return new ImkError('PATH_OUTSIDE', message, {
    details: { path, reason, ...(component === undefined ? {} : { component }) },
  });
}

/**
 * The real path of `rel` (a plain relative path) inside `root`, checking EVERY component: `..`, an
 * absolute path, or a symbolic link anywhere along the way (a folder link in the middle too) that leads
 * outside `root` is refused with an ImkError PATH_OUTSIDE naming the component. Links that stay inside are
 * followed. Missing or unreadable components give an UntrustedFileError (FILE_MISSING, FILE_UNREADABLE…).
 * A component spelt in another Unicode normalisation than on disk (macOS writes "Bjo\u0308rk", a script
 * "Björk") is found under its spelling on disk (see equivalentName).
 */
export async function resolveInside(
  root: string,
  rel: string,
  options: ContainOptions = {},
): Promise<string> {
  const where = options.rootName ?? 'the folder';
  const parts = plainParts(rel);
  if (parts === undefined)
    throw outside(
      `${rel} must be a plain relative path inside ${where} (no "/" at the start, no "..")`,
      rel,
      'not-relative',
    );
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch (error) {
    throw untrustedErrnoError(error, root);
  }
  let current = realRoot;
  for (let index = 0; index < parts.length; index++) {
    const shown = parts.slice(0, index + 1).join('/');
    const missing = shown === rel ? rel : `${rel} (at ${shown})`;
    // `current` is inside the root already (checked below), so this only ever lists a folder of the root.
    let found;
    try {
      found = await lstatSpelt(current, parts[index]!);
    } catch (error) {
      throw untrustedErrnoError(error, missing);
    }
    if (found === undefined)
      throw untrustedErrnoError(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), missing);
    const next = join(current, found.name);
    const info = found.stats;
    if (info.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(next);
      } catch (error) {
        throw untrustedErrnoError(error, `${rel} (the link ${shown})`);
      }
      if (!isInside(realRoot, target))
        throw outside(
          `${rel}: ${shown} is a symbolic link that leaves ${where} (to ${target})`,
          rel,
          'link-leaves',
          shown,
        );
      current = target;
    } else {
      if (index < parts.length - 1 && !info.isDirectory())
        throw outside(`${rel}: ${shown} is ${describeKind(info)}, not a folder`, rel, 'not-a-folder', shown);
      current = next;
    }
  }
  return current;
}

/**
 * The one entry of `dir` whose name equals `name` after NFC normalisation but is spelt otherwise (NFD from
 * macOS, or NFC where `name` is NFD); undefined when there is none, or more than one (then neither is
 * guessed). Only lists `dir`.
 */
export async function equivalentName(dir: string, name: string): Promise<string | undefined> {
  const wanted = name.normalize('NFC');
  if (wanted === name && name.normalize('NFD') === name) return undefined; // no other spelling exists
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const found = names.filter((entry) => entry !== name && entry.normalize('NFC') === wanted);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * `lstat` of `rel` (a plain relative path) under `dir`, as it is spelt there: `rel` itself when it is there
 * as spelt, else the same path with any of its parts in the other Unicode normalisation (macOS writes
 * "Bjo\u0308rk.wav" or a folder "Sigur Ro\u0301s" where job.json or a hand-typed options file says "Björk"),
 * each part found by listing its own folder only (equivalentName). Returns the spelling found on disk, with
 * '/' between parts, and its stats; undefined when it is in no spelling, or when `rel` is absolute or has
 * "..". Other spellings are not looked for past a part that is a symbolic link or not a folder (only the
 * path as spelt is tried there), so nothing beyond a link is listed. Errors other than "not there" are
 * thrown. It only looks: whoever opens the file still goes through resolveInside/openUntrusted.
 * The one way to find "this name, however the folder spells it": bundles (protocol's spellAsOnDisk,
 * cover and legacy audio_files), a song's options file in a bundle and in the inbox.
 */
export async function lstatAnySpelling(
  dir: string,
  rel: string,
): Promise<{ path: string; stats: Stats } | undefined> {
  const parts = plainParts(rel);
  if (parts === undefined) return undefined;
  const exact = await lstatIfThere(join(dir, ...parts));
  if (exact) return { path: rel, stats: exact };
  const spelt: string[] = [];
  for (let index = 0; index < parts.length; index++) {
    const folder = join(dir, ...spelt);
    const found = await lstatSpelt(folder, parts[index]!);
    if (found === undefined) return undefined;
    spelt.push(found.name);
    const last = index === parts.length - 1;
    if (last) return { path: spelt.join('/'), stats: found.stats };
    if (!found.stats.isDirectory()) {
      // A link (or a file) in the middle: what is past it is only looked at as spelt.
      const rest = parts.slice(index + 1);
      const stats = await lstatIfThere(join(folder, found.name, ...rest));
      return stats ? { path: [...spelt, ...rest].join('/'), stats } : undefined;
    }
  }
  return undefined;
}

/** The parts of a plain relative path ('' and '.' dropped), or undefined if absolute, empty or with "..". */
function plainParts(rel: string): string[] | undefined {
  // On Linux a backslash is a character of a name (the earlier version kept it from titles: "AC\DC"), not
  // a separator: "..\x" is one name inside the root. Where it is a separator (Windows), it splits too.
  const parts = rel.split(sep === '\\' ? /[\\/]+/ : /\/+/).filter((part) => part !== '' && part !== '.');
  return isAbsolute(rel) || parts.length === 0 || parts.includes('..') ? undefined : parts;
}

/** lstat, or undefined when the path is not there (ENOENT, or a part of it is not a folder). */
async function lstatIfThere(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
}

/**
 * One part of a path, in `folder`: `name` as spelt when it is there, else its one other spelling there
 * (equivalentName); undefined when neither is. The step both resolveInside and lstatAnySpelling take.
 */
async function lstatSpelt(folder: string, name: string): Promise<{ name: string; stats: Stats } | undefined> {
  const exact = await lstatIfThere(join(folder, name));
  if (exact) return { name, stats: exact };
  const other = await equivalentName(folder, name);
  if (other === undefined) return undefined;
  const stats = await lstatIfThere(join(folder, other));
  return stats ? { name: other, stats } : undefined;
}

/** Opens `rel` inside `root` as an untrusted file: containment of every component, then openUntrusted. */
export async function openInside(
  root: string,
  rel: string,
  options: UntrustedOpenOptions & ContainOptions = {},
): ReturnType<typeof openUntrusted> {
  const real = await resolveInside(root, rel, options);
  return openUntrusted(real, { ...options, name: options.name ?? rel, within: root });
}

/**
 * Checks that `path` is a real folder, not a symbolic link to one (a bundle folder, an output folder, an
 * inbox or a request folder someone else can write to). Throws an ImkError naming it otherwise.
 */
export async function assertRealFolder(path: string, name = path): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    throw untrustedErrnoError(error, name);
  }
  if (info.isSymbolicLink())
    throw new ImkError(
      'FOLDER_IS_SYMLINK',
      `${name} is a symbolic link to a folder; refused (links are not followed)`,
      { details: { path } },
    );
  if (!info.isDirectory())
    throw new ImkError('NOT_A_FOLDER', `${name} is ${describeKind(info)}, not a folder`, {
      details: { path },
    });
}
