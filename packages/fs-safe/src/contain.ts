import { lstat, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { Stats } from 'node:fs';
import { ImkError } from '@imk/errors';
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
    retryable: false,
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
  // On Linux a backslash is a character of a name (the earlier version kept it from titles: "AC\DC"), not
  // a separator: "..\x" is one name inside the root. Where it is a separator (Windows), it splits too.
  const parts = rel.split(sep === '\\' ? /[\\/]+/ : /\/+/).filter((part) => part !== '' && part !== '.');
  if (isAbsolute(rel) || parts.length === 0 || parts.includes('..'))
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
    let next = join(current, parts[index]!);
    let info;
    try {
      info = await lstat(next);
    } catch (error) {
      // `current` is inside the root already (checked above), so this only ever lists a folder of the root.
      const spelt =
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? await equivalentName(current, parts[index]!)
          : undefined;
      if (spelt === undefined) throw untrustedErrnoError(error, missing);
      next = join(current, spelt);
      try {
        info = await lstat(next);
      } catch (again) {
        throw untrustedErrnoError(again, missing);
      }
    }
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
 * `lstat` of `rel` under `dir`, also under the other Unicode normalisation of its file name (equivalentName
 * in its own folder): the spelling found on disk and its stats, or undefined when neither is there. Errors
 * other than "not there" are thrown. For a file looked for beside another (a song's options file).
 */
export async function lstatAnySpelling(
  dir: string,
  rel: string,
): Promise<{ path: string; stats: Stats } | undefined> {
  const tryLstat = async (path: string) => {
    try {
      return await lstat(join(dir, path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  };
  const exact = await tryLstat(rel);
  if (exact) return { path: rel, stats: exact };
  const folder = dirname(rel);
  const spelt = await equivalentName(join(dir, folder), basename(rel));
  if (spelt === undefined) return undefined;
  const path = folder === '.' ? spelt : `${folder}/${spelt}`;
  const stats = await tryLstat(path);
  return stats ? { path, stats } : undefined;
}

/** Opens `rel` inside `root` as an untrusted file: containment of every component, then openUntrusted. */
export async function openInside(
  root: string,
  rel: string,
  options: UntrustedOpenOptions & ContainOptions = {},
): ReturnType<typeof openUntrusted> {
  const real = await resolveInside(root, rel, options);
  return openUntrusted(real, { ...options, name: options.name ?? rel });
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
      {
        details: { path },
        retryable: false,
      },
    );
  if (!info.isDirectory())
    throw new ImkError('NOT_A_FOLDER', `${name} is ${describeKind(info)}, not a folder`, {
      details: { path },
      retryable: false,
    });
}
