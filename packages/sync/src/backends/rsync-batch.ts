import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fsyncDir } from '@imk/fs-safe';
import { isImkError, type ImkError } from '@imk/errors';
import { fromFsError, syncError, tempVanished } from '../errors.ts';
import type { PutRequest, PutResult } from '../types.ts';
import type { ToolResult } from '../util/run-tool.ts';
import { NOT_REGULAR, mismatchError, takenError } from './common.ts';
import { PARTIAL_EXIT_CODES } from './rsync-failure.ts';
import { hashWithProgress, putInPlace, type Progress } from './local-commit.ts';

/** One file of a batch: where it goes and the temporary name it is written under. */
export interface BatchItem {
  request: PutRequest;
  target: string;
  temp: string;
}

export type BatchOutcome = { ok: true; result: PutResult } | { ok: false; error: Error };

export interface BatchDeps {
  remote: boolean;
  verify: 'sha256' | 'size';
  fsync: boolean;
  /**
   * Runs rsync with these arguments plus `-- <source> <destination>`; to a folder here, it first makes the
   * destination folder (`destination` without its trailing `/`).
   */
  rsync(source: string, destination: string, signal?: AbortSignal): Promise<ToolResult>;
  /**
   * To a folder here: checks each copy and puts it into place (verifyLocal, run where the destination's
   * file-system calls are watched: rsync.ts runs it in the local backend's helper process).
   */
  verifyHere?(
    items: readonly BatchItem[],
    copyError: ImkError | undefined,
    signal?: AbortSignal,
  ): Promise<BatchOutcome[]>;
  /** Runs a command on the server (remote only). */
  remoteRun(words: string[], signal?: AbortSignal): Promise<ToolResult>;
  classify(result: ToolResult, action: string): ImkError;
  /** Called once the copy is over, before the copies are checked: the next batch may start copying. */
  onCopied?(): void;
}

// Runs on the server for every file of a batch: size and sha256 of the temporary copy, then, when both match
// the manifest, into place: with "keep", by a hard link, which refuses an existing name (a file with the same
// content there = SAME, another = TAKEN, left as it is); with "replace", by mv -f. A bad copy is removed.
// Prints "=<n> OK|SAME|TAKEN|BAD|REFUSED <size> <sha256> [what mv said]" per file, n counting from 0: the shell's stderr is merged
// into its stdout, so a message of mv or rm may stand among the verdicts, and each verdict names its file.
// Arguments: mode, then (temp target bytes sha256 keep|replace) per file.
const VERIFY_AND_COMMIT = [
  'mode=$1; shift; n=0',
  // The checked copy could not be put in place (the server refused mv): REFUSED and what mv said, on one line.
  'refused() { echo "$v REFUSED $size $h $(printf %s "$m" | tr "\\n" " ")"; }',
  'sum() { h=$( (openssl dgst -sha256 -r || sha256sum || shasum -a 256) < "$1" 2>/dev/null); echo "${h%% *}"; }',
  'while [ $# -ge 5 ]; do',
  '  f=$1; d=$2; want_size=$3; want_hash=$4; existing=$5; shift 5; v="=$n"; n=$((n + 1))',
  '  if [ -f "$f" ]; then size=$(wc -c < "$f" | tr -d " "); else size=-1; fi',
  '  h=$want_hash',
  '  if [ "$mode" = sha256 ] && [ "$size" = "$want_size" ]; then h=$(sum "$f"); fi',
  '  if [ "$size" != "$want_size" ] || [ "$h" != "$want_hash" ]; then rm -f -- "$f"; echo "$v BAD $size $h"',
  // A folder under the name: ln and mv would put the file inside it. Never a place to deliver to.
  '  elif [ -d "$d" ]; then rm -f -- "$f"; echo "$v TAKEN - -"',
  // replace: over a regular file (or nothing) only; a FIFO or a device goes on to TAKEN below.
  '  elif [ "$existing" = replace ] && { [ -f "$d" ] || ! { [ -e "$d" ] || [ -L "$d" ]; }; }; then if m=$(mv -f -- "$f" "$d" 2>&1); then echo "$v OK $size $h"; else rm -f -- "$f"; refused; fi',
  '  elif ln -- "$f" "$d" 2>/dev/null; then rm -f -- "$f"; echo "$v OK $size $h"',
  // Only a regular file is read (a FIFO would never end the read); anything else is taken.
  '  elif [ -e "$d" ] || [ -L "$d" ]; then rm -f -- "$f"; ds=-; dh=-',
  '    if [ -f "$d" ]; then ds=$(wc -c < "$d" | tr -d " "); fi',
  '    if [ "$ds" = "$want_size" ]; then dh=$(sum "$d"); fi',
  '    if [ "$dh" = "$want_hash" ]; then echo "$v SAME $ds $dh"; else echo "$v TAKEN $ds $dh"; fi',
  // No hard links on this filesystem: look, then rename.
  '  elif m=$(mv -f -- "$f" "$d" 2>&1); then echo "$v OK $size $h"',
  '  else rm -f -- "$f"; refused; fi',
  'done',
].join('\n');

/** The deepest folder holding every path (posix). */
export function commonFolder(paths: readonly string[]): string {
  const split = paths.map((path) => posix.dirname(path).split('/'));
  const first = split[0] ?? [];
  let length = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < length && parts[i] === first[i]) i++;
    length = i;
  }
  const joined = first.slice(0, length).join('/');
  return joined === '' && paths[0]?.startsWith('/') ? '/' : joined || '.';
}

/**
 * Sends several files with one rsync run: symlinks named like the temporary copies, below their common folder,
 * are copied with --copy-links, so one connection and one rsync carry the whole batch. Each copy is then
 * checked and renamed on its own; `onCopied` tells the caller when the copy is over, so the next batch copies
 * while this one is checked (the check is a read-back and sha256, as costly as the copy on a local disk).
 */
export async function sendBatch(
  items: readonly BatchItem[],
  deps: BatchDeps,
  signal?: AbortSignal,
): Promise<BatchOutcome[]> {
  const base = commonFolder(items.map((item) => item.temp));
  const stage = await mkdtemp(join(tmpdir(), 'imk-rsync-'));
  let copy: ToolResult;
  try {
    for (const item of items) {
      const link = join(stage, posix.relative(base, item.temp));
      await mkdir(dirname(link), { recursive: true });
      await symlink(item.request.localPath, link);
    }
    copy = await deps.rsync(`${stage}/`, `${base}/`, signal);
  } finally {
    await rm(stage, { recursive: true, force: true });
    deps.onCopied?.();
  }
  if (!PARTIAL_EXIT_CODES.has(copy.exitCode)) {
    const error = deps.classify(copy, `copy to ${base}`);
    return items.map(() => ({ ok: false, error }));
  }
  // After a partial run (23/24) the files that did arrive whole still count; the others report rsync's error.
  const copyError = copy.exitCode === 0 ? undefined : deps.classify(copy, `copy to ${base}`);
  if (deps.remote) return verifyRemote(items, deps, copyError, signal);
  return deps.verifyHere ? deps.verifyHere(items, copyError, signal) : verifyLocal(items, deps, copyError);
}

async function verifyRemote(
  items: readonly BatchItem[],
  deps: BatchDeps,
  copyError: ImkError | undefined,
  signal?: AbortSignal,
): Promise<BatchOutcome[]> {
  const args = items.flatMap((item) => [
    item.temp,
    item.target,
    String(item.request.bytes),
    item.request.sha256,
    item.request.existing ?? 'keep',
  ]);
  const result = await deps.remoteRun(
    ['sh', '-c', VERIFY_AND_COMMIT, 'verify', deps.verify, ...args],
    signal,
  );
  if (result.exitCode !== 0) {
    const error = deps.classify(result, 'check the copies');
    return items.map(() => ({ ok: false, error }));
  }
  // Each verdict by the number of its file: anything else the server printed (a message of mv or rm, merged
  // into this output) is never taken for one, nor shifts one to another file.
  const verdicts = new Map<number, string[]>();
  for (const line of result.stdout.split('\n')) {
    const found = /^=(\d+) (OK|SAME|TAKEN|BAD|REFUSED) (\S+)(?: (\S*))?(?: (.*))?$/.exec(line.trim());
    if (found) verdicts.set(Number(found[1]), found.slice(2));
  }
  const verifiedBy = deps.verify === 'sha256' ? 'remote-hash' : 'size';
  return Promise.all(
    items.map(async (item, index): Promise<BatchOutcome> => {
      const said = verdicts.get(index);
      // No verdict for this file (the check was cut short): nothing is known of it, so it is not delivered.
      if (!said)
        return {
          ok: false,
          error:
            copyError ??
            deps.classify(
              { ...result, exitCode: result.exitCode === 0 ? -1 : result.exitCode },
              `check the copy of ${item.target}`,
            ),
        };
      const [verdict, size = '-1', sha256 = '', said2 = ''] = said;
      if (verdict === 'REFUSED')
        return {
          ok: false,
          error: syncError(
            'PERMISSION_DENIED',
            `${item.target}: the copy arrived whole, but the server refused to put it in place (mv): ${said2.trim() || 'no reason given'}; the copy was removed`,
          ),
        };
      if (verdict === 'OK') return { ok: true, result: { bytes: item.request.bytes, verifiedBy } };
      if (verdict === 'SAME')
        return {
          ok: true,
          result: { bytes: item.request.bytes, verifiedBy: 'remote-hash', alreadyThere: true },
        };
      // The script gives no size for what is not a regular file (a folder, a FIFO).
      if (verdict === 'TAKEN')
        return {
          ok: false,
          error: takenError(item.request, item.target, size === '-' ? NOT_REGULAR : undefined),
        };
      if (copyError && size === '-1') return { ok: false, error: copyError };
      return {
        ok: false,
        error: await mismatchError(item.request, item.target, { bytes: Number(size), sha256 }),
      };
    }),
  );
}

/**
 * Checks each copy in a folder here (size, and with sha256 a read-back) and puts it into place, saying
 * `progress` after each step (a watchdog waits on it).
 */
export async function verifyLocal(
  items: readonly BatchItem[],
  deps: Pick<BatchDeps, 'verify' | 'fsync'>,
  copyError: ImkError | undefined,
  progress: Progress = () => undefined,
): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = [];
  for (const item of items) {
    try {
      let missing: unknown;
      const bytes = await stat(item.temp).then(
        (info) => info.size,
        (error: unknown) => ((missing = error), -1),
      );
      if (bytes === -1 && copyError) {
        outcomes.push({ ok: false, error: copyError });
        continue;
      }
      // rsync made it (the run went well) and it is gone from its folder: someone else removed it, not a bad copy.
      const gone = bytes === -1 ? await tempVanished(missing, item.temp, item.target) : undefined;
      if (gone) {
        outcomes.push({ ok: false, error: gone });
        continue;
      }
      const sha256 =
        deps.verify === 'sha256' && bytes === item.request.bytes
          ? await hashWithProgress(item.temp, progress)
          : item.request.sha256;
      if (bytes !== item.request.bytes || sha256 !== item.request.sha256) {
        await rm(item.temp, { force: true });
        outcomes.push({
          ok: false,
          error: await mismatchError(item.request, item.target, { bytes, sha256 }),
        });
        continue;
      }
      const verifiedBy = deps.verify === 'sha256' ? 'read-back' : 'size';
      progress();
      if ((await commitLocal(item, progress)) === 'same') {
        outcomes.push({ ok: true, result: { bytes, verifiedBy: 'read-back', alreadyThere: true } });
        continue;
      }
      if (deps.fsync) await fsyncDir(dirname(item.target));
      outcomes.push({ ok: true, result: { bytes, verifiedBy } });
      progress();
    } catch (error) {
      outcomes.push({
        ok: false,
        error: isImkError(error)
          ? error
          : ((await tempVanished(error, item.temp, item.target)) ?? fromFsError(error, item.target)),
      });
    }
  }
  return outcomes;
}

/** Into place without overwriting a different file, as the local backend does (local-commit.ts). */
async function commitLocal(item: BatchItem, progress: Progress): Promise<'done' | 'same'> {
  try {
    return await putInPlace(item.request, item.temp, item.target, progress);
  } finally {
    await rm(item.temp, { force: true });
  }
}

/** Makes the destination folder of a copy to a folder here (before rsync runs into it). */
export async function makeLocalFolder(base: string): Promise<void> {
  await mkdir(base, { recursive: true }).catch((error: unknown) => Promise.reject(fromFsError(error, base)));
}
