// Test helpers for code that opens files others can change (`@imk/fs-safe/testing`): a real process that
// swaps a file for a link to another one, and the loop that races reads against it.
import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { fifoWaitSeen, waitsOnFifo, type FifoEvidence } from './fifo-wait.ts';
export { exitOf, firstOutput, within } from './waits.ts';

export interface SwapperOptions {
  /** The folder the swapped name is in. */
  folder: string;
  /** The name that is swapped: a hard link to `original`, then a symbolic link to `other`, again and again. */
  name: string;
  /** The file the name stands for, in `folder`. */
  original: string;
  /** What the link points to: a file of this host that must never be read in the name's place. */
  other: string;
}

export interface Swapper {
  /** Stops the swapping (the name is left as it last was). */
  stop(): Promise<void>;
}

/**
 * Starts a python3 process that swaps `folder/name` between the file and a link to `other`, each by one
 * rename, as fast as it can. Resolves once the name exists, so that a race starts with the first read.
 */
export async function startSwapper(options: SwapperOptions): Promise<Swapper> {
  const { folder, name, original, other } = options;
  const script = `import os, sys
d, name, original, other = sys.argv[1:5]
target = os.path.join(d, name)
os.link(os.path.join(d, original), target)
while True:
    os.symlink(other, os.path.join(d, 'l.tmp')); os.rename(os.path.join(d, 'l.tmp'), target)
    os.link(os.path.join(d, original), os.path.join(d, 'f.tmp')); os.rename(os.path.join(d, 'f.tmp'), target)`;
  return startChild(['-c', script, folder, name, original, other], options);
}

/** Runs python3 with `args` until stopped; resolves once `folder/name` exists. */
async function startChild(
  args: string[],
  { folder, name }: { folder: string; name: string },
): Promise<Swapper> {
  const child = spawn('python3', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone: Error | undefined;
  child.once('error', (error) => (gone = error));
  void exited.then(
    () => (gone ??= new Error(`the swapper of ${join(folder, name)} ended (exit ${child.exitCode})`)),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  };
  for (;;) {
    if (gone !== undefined) throw gone;
    const there = await lstat(join(folder, name)).then(
      () => true,
      () => false,
    );
    if (there) return { stop };
    await sleep(10);
  }
}

export interface ReplacerOptions {
  /** The folder the replaced name is in. */
  folder: string;
  /** The name that is replaced: by a hard link to each of `files` in turn, each by one rename. */
  name: string;
  /** Regular files (absolute paths, on the filesystem of `folder`): the contents the name stands for. */
  files: readonly string[];
}

/**
 * Starts a python3 process that replaces `folder/name` with another regular file (a hard link to each of
 * `files` in turn, each by one rename), as fast as it can: a name that always stands for a regular file of
 * the folder, but not always the same one (a user saving over a dropped song, a copy tool replacing it).
 * Resolves once the name exists.
 */
export async function startReplacer(options: ReplacerOptions): Promise<Swapper> {
  const script = `import os, sys
d, name = sys.argv[1:3]
files = sys.argv[3:]
target = os.path.join(d, name)
tmp = os.path.join(d, '.r.tmp')
while True:
    for f in files:
        os.link(f, tmp); os.rename(tmp, target)`;
  return startChild(['-c', script, options.folder, options.name, ...options.files], options);
}

export interface RaceOptions<K extends string> {
  /** Tries at least this many times. */
  least: number;
  /** Never more than this many times. */
  most: number;
  /** Goes on past `least` until this says the outcomes that mean the race was real were all seen. */
  enough: (counts: Readonly<Record<K, number>>) => boolean;
}

/**
 * Runs `attempt` (which asserts what each try may give and names its outcome) at least `least` times and on,
 * up to `most`, until `enough` is satisfied. How often a try lands between two swaps depends on the
 * machine's load, so the number of tries is bounded, never fixed; the caller asserts on the counts.
 */
export async function raceTries<K extends string>(
  outcomes: readonly K[],
  options: RaceOptions<K>,
  attempt: () => Promise<K>,
): Promise<Record<K, number>> {
  const counts = Object.fromEntries(outcomes.map((outcome) => [outcome, 0])) as Record<K, number>;
  for (let i = 0; i < options.most && (i < options.least || !options.enough(counts)); i++)
    counts[await attempt()]++;
  return counts;
}

/**
 * The environment that runs an imk process (any node process) as on a host whose clock is `offsetMs` off
 * its file system's: clock-offset.mjs, loaded with NODE_OPTIONS, moves the process's wall clock (Date)
 * while the kernel stamps files with the real time, as a file server with its own clock does.
 */
export function clockOffsetEnv(offsetMs: number): Record<string, string> {
  const shim = new URL('./clock-offset.mjs', import.meta.url).href;
  return { IMK_TEST_CLOCK_OFFSET_MS: String(offsetMs), NODE_OPTIONS: `--import=${shim}` };
}
