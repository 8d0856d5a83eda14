import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { isImkError } from '@imk/errors';
import { isDestinationDown } from '../errors.ts';
import { TEMP_SUFFIX } from '../util/remote-path.ts';
import type { ToolResult } from '../util/run-tool.ts';

const HEX12 = '[0-9a-f]'.repeat(12);

/**
 * The partials of this writer, as a shell `case` pattern. Temp names are `.<name>.<sha12>.<writer>.imk-tmp`
 * (util/remote-path.ts tempPathFor): a partial of another writer (another nas-sync, with another state
 * folder, delivering to the same folder) may be resumed by it at any moment and is never ours to remove.
 * Without a writer (a backend made on its own), ours are those with no writer part: `.<name>.<sha12>.imk-tmp`.
 */
export function ownPartialPattern(owner: string | undefined): string {
  return owner === undefined ? `.*.${HEX12}${TEMP_SUFFIX}` : `.*.${HEX12}.${owner}${TEMP_SUFFIX}`;
}

/** ownPartialPattern as a regular expression, for a sweep on this host. */
function ownPartialRegExp(owner: string | undefined): RegExp {
  return new RegExp(
    `^\\..*\\.[0-9a-f]{12}${owner === undefined ? '' : `\\.${owner.replace(/[^0-9A-Za-z]/g, '\\$&')}`}${TEMP_SUFFIX.replace(/\./g, '\\.')}$`,
    's',
  );
}

// Arguments: partial folder name, this writer's name pattern, the partials to keep (one path a line), then the
// folders written to. Removes every regular file of this writer's in <folder>/<partial folder> not kept, then
// that folder when empty.
const SWEEP_SCRIPT = [
  'pd=$1; own=$2; keep=$3; shift 3; nl="',
  '"',
  'for d in "$@"; do',
  '  p="$d/$pd"',
  '  if [ -L "$p" ] || [ ! -d "$p" ]; then continue; fi',
  `  for f in "$p"/.*${TEMP_SUFFIX}; do`,
  '    case "${f##*/}" in $own) ;; *) continue;; esac',
  '    if [ -L "$f" ] || [ ! -f "$f" ]; then continue; fi',
  '    case "$nl$keep$nl" in *"$nl$f$nl"*) continue;; esac',
  '    rm -f -- "$f"',
  '  done',
  '  rmdir -- "$p" 2>/dev/null || true',
  'done',
].join('\n');

/**
 * rsync keeps what an interrupted copy wrote in `<folder>/<partialDir>/<temp name>`, to resume it; a temp
 * name carries the content's sha256, so a partial is wanted only by a transfer of that same content to that
 * same place. Without a rule, a partial whose content is never sent again (a route changed, the job was
 * processed again, the copy failed on a full disk) stayed for good, and on a full disk kept it full.
 *
 * The rule: at the end of a pass (the backend's close), in every folder the pass wrote to, our partials (this
 * writer's: `owner`, BackendContext.tempOwner; another nas-sync's are left alone) are
 * removed except those of a transfer of this pass that failed in a way a next try resumes from (the
 * connection dropped, the run was stopped). A copy that failed for lack of space keeps no partial: it would
 * keep the disk full, and it is written from the start once there is room.
 */
export function createPartialSweeper(partialDir: string, owner?: string) {
  const folders = new Set<string>();
  const keep = new Map<string, boolean>();
  // Whether any transfer of this pass reached the destination: a pass to a server that is down does not
  // wait for another connection timeout at its end to sweep.
  let reached = false;
  const partialOf = (temp: string): string =>
    posix.join(posix.dirname(temp), partialDir, posix.basename(temp));

  return {
    /** Records how a transfer to `temp` ended (ok, or the error it failed with). */
    settled(temp: string, error?: unknown): void {
      folders.add(posix.dirname(temp));
      if (error === undefined || !isDestinationDown(error)) reached = true;
      const resumable = error !== undefined && !(isImkError(error) && error.code === 'REMOTE_FULL');
      keep.set(partialOf(temp), resumable);
    },
    /**
     * A transfer to `temp` that failed before its copy began (stopped during the checks, its file here or its
     * target refused): its partial, if any, is as the pass found it, and a next try resumes from it. Kept,
     * unless a transfer of this pass settled it otherwise. Not a folder written to, nor the server reached.
     */
    untouched(temp: string): void {
      if (!keep.has(partialOf(temp))) keep.set(partialOf(temp), true);
    },
    /**
     * Removes the partials no transfer of this pass wants: `run` runs a command on the server; else here, by
     * `here` (sweepPartialsHere where the destination's file-system calls are watched), or in this process.
     */
    async sweep(
      run?: (words: string[]) => Promise<ToolResult>,
      here?: (dirs: string[], kept: string[]) => Promise<void>,
    ): Promise<void> {
      const dirs = [...folders];
      const kept = [...keep].filter(([, wanted]) => wanted).map(([path]) => path);
      const wasReached = reached;
      folders.clear();
      keep.clear();
      reached = false;
      if (dirs.length === 0 || !wasReached) return;
      if (run) {
        await run([
          'sh',
          '-c',
          SWEEP_SCRIPT,
          'sweep',
          partialDir,
          ownPartialPattern(owner),
          kept.join('\n'),
          ...dirs,
        ]);
        return;
      }
      await (here ?? ((d, k) => sweepPartialsHere(partialDir, owner, d, k)))(dirs, kept);
    },
  };
}

/** Removes this writer's (`owner`'s) partials in `<dir>/<partialDir>` of each of `dirs` but those `kept`. */
export async function sweepPartialsHere(
  partialDir: string,
  owner: string | undefined,
  dirs: readonly string[],
  kept: readonly string[],
): Promise<void> {
  const ours = ownPartialRegExp(owner);
  const wanted = new Set(kept);
  for (const dir of dirs) {
    const folder = posix.join(dir, partialDir);
    const info = await lstat(folder).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    for (const name of await readdir(folder).catch(() => [])) {
      const path = posix.join(folder, name);
      if (!ours.test(name) || wanted.has(path)) continue;
      if ((await lstat(path).catch(() => undefined))?.isFile()) await rm(path, { force: true });
    }
    await rmdir(folder).catch(() => undefined);
  }
}
