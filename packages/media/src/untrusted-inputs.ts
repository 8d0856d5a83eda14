import { mkdtemp, realpath, rm, symlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { openUntrusted, type UntrustedFileError } from '@imk/fs-safe';
import { isAbsentErrno } from '@imk/errors';
import { UNTRUSTED_INPUT_OPTIONS } from './input-args.ts';

/**
 * ffmpeg and ffprobe open their inputs by name. A name checked before the run (a regular file, inside its
 * bundle) could be swapped for a link to another file of this host between that check and the tool's own
 * open, and the tool would read that file. So each input built by `inputArgs` is opened here first, the
 * fs-safe way (lstat, regular files only, no link followed, non-blocking, same inode), and the tool gets the
 * open descriptor (inherited as fd 3, 4, …) and reads `/proc/self/fd/N`: on Linux that is a fresh open of
 * the same inode (seekable, its own offset, which mov/mp4 need; a pipe would not do), whatever happens to
 * the name meanwhile. The tool reaches it through a link of ours, `<n>.<ext>` in a private temp folder,
 * because ffprobe weighs a name's extension when it guesses a format (a `.txt` is text, not "corrupt").
 */
export interface OpenedInputs {
  /**
   * The arguments with each untrusted input replaced by our link to its descriptor (one whose open found
   * nothing links to a descriptor that is not open, so the tool says "No such file" as it did by name).
   */
  args: string[];
  /**
   * The child's stdio: stdin ignored, stdout and stderr piped, then the descriptors as fd 3, 4, … (`'ignore'`
   * where nothing was opened). Typed as execa's types allow (they list fds 3–9 only; execa passes any
   * descriptor number to the child as it is).
   */
  stdio: ['ignore', 'pipe', 'pipe', ...('ignore' | 3)[]];
  /**
   * Each untrusted input's size in bytes, in the order of the arguments, from its open descriptor's fstat
   * (what the tool reads, not a stat of the name); undefined where nothing was opened (not there).
   */
  sizes: (number | undefined)[];
  /** `text` (the tool's stderr) with each of our links said as the input's own name. */
  named(text: string): string;
  /** Closes our copies of the descriptors (the child has its own). */
  close(): Promise<void>;
}

const FIRST_FD = 3;

/** Whether `args[i]` is the `-i` of an input `inputArgs` built (the untrusted-input options right before). */
function isUntrustedInput(args: readonly string[], i: number): boolean {
  if (args[i] !== '-i' || i + 1 >= args.length || i < UNTRUSTED_INPUT_OPTIONS.length) return false;
  const input = args[i + 1]!;
  if (input === '-' || input.startsWith('pipe:')) return false;
  return UNTRUSTED_INPUT_OPTIONS.every(
    (option, k) => args[i - UNTRUSTED_INPUT_OPTIONS.length + k] === option,
  );
}

/**
 * A folder someone else writes (a claimed bundle) with files of it the caller has already opened the
 * untrusted way (fs-safe openUntrusted), keyed by the path the caller names them by: every reader given it
 * as `within` reads those files from their descriptors, never by name again, so one job that probes,
 * decodes, mixes and embeds one file reads one file, whatever was renamed over its name meanwhile. The
 * descriptors are the caller's (it closes them); readers never close them.
 */
export interface OpenedFolder {
  dir: string;
  opened: ReadonlyMap<string, FileHandle>;
}

/** The folder media readers hold untrusted inputs inside: its path, or the folder with files opened. */
export type Within = string | OpenedFolder;

/** The folder's path of a `within`. */
export function withinDir(within: Within | undefined): string | undefined {
  return typeof within === 'object' ? within.dir : within;
}

/** The caller's descriptor of `file` when `within` holds it open (by the path given, or resolved). */
export function heldOpen(within: Within | undefined, file: string): FileHandle | undefined {
  if (typeof within !== 'object') return undefined;
  return within.opened.get(file) ?? within.opened.get(resolve(file));
}

/**
 * Opens every untrusted input of an ffmpeg or ffprobe argument list (see OpenedInputs). A link, a FIFO, a
 * socket, a device or a folder is refused with the fs-safe error naming the file and saying what it is
 * (permanent: the same input is refused again); nothing is left open when it throws.
 */
export interface OpenInputsOptions {
  /**
   * The folder someone else writes (a job's bundle, an archived bundle) the untrusted inputs were found
   * in: each input named beneath it (by its path, or by the folder's real path) is checked, once opened,
   * to be inside it still (fs-safe's openUntrusted `within`), so a folder on its path swapped for a link
   * between the caller's check and this open is refused (FILE_CHANGED), not read. Inputs named elsewhere
   * (the caller's own work files in the same run) are opened as before. See boundFor. Files the folder
   * holds open (an OpenedFolder) are read from those descriptors, as `opened` are.
   */
  within?: Within;
  /**
   * Inputs the caller has already opened the untrusted way (fs-safe openUntrusted), by the name the
   * arguments give them: the tool reads that descriptor and the name is not opened again, so a caller that
   * reads one file several times (probe it, then copy it) reads one file, whatever replaced its name since.
   * These descriptors stay open after close(): they are the caller's.
   */
  opened?: ReadonlyMap<string, FileHandle>;
}

function beneath(folder: string, file: string): boolean {
  const rel = relative(folder, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The folder `file` must stay inside when opened: `within` when `file` is named beneath it (lexically, or
 * beneath its real path: a caller may hold either spelling), else undefined (a file of the caller's own).
 * The one rule every media reader applies, so that a caller passes the job's bundle to a whole run
 * (encode: its work WAV and the bundle's cover; a video: the bundle's video and the mixed sound) and
 * every input from the bundle, at any depth of the call, is held inside it.
 */
export async function boundFor(file: string, bundle: Within | undefined): Promise<string | undefined> {
  const within = withinDir(bundle);
  if (within === undefined) return undefined;
  const path = resolve(file);
  if (beneath(resolve(within), path)) return within;
  const real = await realpath(within).catch(() => undefined);
  return real !== undefined && beneath(real, path) ? within : undefined;
}

export async function openInputs(
  args: readonly string[],
  options: OpenInputsOptions = {},
): Promise<OpenedInputs> {
  const out = [...args];
  const extraStdio: (number | 'ignore')[] = [];
  const sizes: (number | undefined)[] = [];
  const handles: { close(): Promise<void> }[] = [];
  const names = new Map<string, string>();
  let links: string | undefined;
  const close = async (): Promise<void> => {
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
    if (links !== undefined) await rm(links, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < out.length; i++) {
      if (!isUntrustedInput(args, i)) continue;
      const file = args[i + 1]!;
      const fd = FIRST_FD + extraStdio.length;
      links ??= await mkdtemp(join(tmpdir(), 'imk-input-'));
      // Only a plain extension is kept: a name's `%03d` or other pattern never reaches the tool.
      const ext = /^\.[A-Za-z0-9]{1,10}$/.test(extname(file)) ? extname(file) : '';
      const devName = join(links, `${String(extraStdio.length)}${ext}`);
      await symlink(`/proc/self/fd/${String(fd)}`, devName);
      const given = options.opened?.get(file) ?? heldOpen(options.within, file);
      if (given !== undefined) {
        extraStdio.push(given.fd);
        sizes.push((await given.stat()).size);
        out[i + 1] = devName;
        names.set(devName, file);
        continue;
      }
      try {
        const within = await boundFor(file, options.within);
        const { handle, size } = await openUntrusted(file, {
          name: file,
          ...(within !== undefined && { within }),
        });
        handles.push(handle);
        extraStdio.push(handle.fd);
        sizes.push(size);
      } catch (error) {
        // Not there (moved or deleted): the tool's run fails as it did by name, and the caller says so
        // from the original arguments (missingInputs). Anything else there is refused now.
        if (!isAbsentErrno((error as UntrustedFileError).cause) && !isMissing(error)) throw error;
        extraStdio.push('ignore');
        sizes.push(undefined);
      }
      out[i + 1] = devName;
      names.set(devName, file);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    args: out,
    stdio: ['ignore', 'pipe', 'pipe', ...(extraStdio as ('ignore' | 3)[])],
    sizes,
    named: (text) => [...names].reduce((said, [link, file]) => said.split(link).join(file), text),
    close,
  };
}

function isMissing(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === 'FILE_MISSING';
}

/** Runs `run` with the inputs of `args` opened (openInputs), and closes them after, whatever happens. */
export async function withOpenInputs<T>(
  args: readonly string[],
  run: (opened: OpenedInputs) => Promise<T>,
  options: OpenInputsOptions = {},
): Promise<T> {
  const opened = await openInputs(args, options);
  try {
    return await run(opened);
  } finally {
    await opened.close();
  }
}
