import { stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { execa } from 'execa';
import { OWN_PROCESS_GROUP, trackToolGroup } from '@imk/tools';
import { mountedPoints } from './mounts.ts';
import { watchSilence, type SilenceWatch } from './process-activity.ts';
import { toolEnv } from './run-tool.ts';

/** What a folder's `stat` said: its device and inode, absent (missing or not a folder), or no answer in time. */
export type FolderStat = { dev: string; ino: string } | 'absent' | 'silent';

/** The mounts whose last `stat` did not answer in time and has not ended yet (it ends when the share answers). */
const stuck = new Map<string, Promise<unknown>>();

/** Paths given to one `stat` (far below ARG_MAX for any path length a share takes). */
const PER_CHILD = 500;

const under = (path: string, point: string): boolean =>
  point === sep || path === point || path.startsWith(point + sep);

/**
 * The device and inode of each of `folders` (links followed, like fs.stat), asked of the `stat` program, one
 * per mount (/proc/self/mountinfo), each given `timeoutMs` without working (watchSilence). A share that does not answer (a hard-mounted NFS
 * export whose server is gone, a FUSE mount whose server is stopped) blocks a `stat` until it answers,
 * forever perhaps: in this process that would hang the caller and hold one of libuv's four file-system
 * threads for good (every later read and write of the process queues behind them); a child is given up at the
 * deadline (SIGKILL, not waited for: it may not end before the share answers) and every folder of that mount
 * is 'silent' until it has ended. Mounts are asked side by side, so a dead one costs the others nothing.
 */
export async function statFolders(
  folders: readonly string[],
  options: { timeoutMs: number; mountinfo: string; env?: NodeJS.ProcessEnv },
): Promise<Map<string, FolderStat>> {
  const points = [...((await mountedPoints(options.mountinfo)) ?? [])].sort((a, b) => b.length - a.length);
  const groups = new Map<string, string[]>();
  for (const folder of new Set(folders)) {
    const point = points.find((p) => under(folder, p)) ?? sep;
    groups.set(point, [...(groups.get(point) ?? []), folder]);
  }
  const found = new Map<string, FolderStat>();
  await Promise.all(
    [...groups].map(async ([point, group]) => {
      for (let at = 0; at < group.length; at += PER_CHILD) {
        const some = group.slice(at, at + PER_CHILD);
        // A `stat` of this mount that did not answer is still waiting: the mount is still silent, and
        // another would only wait beside it (one more stuck process each pass).
        const said = stuck.has(point) ? 'silent' : await statChild(some, point, options);
        if (said === 'silent') {
          // A mount that did not answer: the rest of it is not asked (each ask would wait as long).
          for (const folder of group.slice(at)) found.set(folder, 'silent');
          return;
        }
        for (const folder of some) found.set(folder, said.get(folder) ?? 'absent');
      }
    }),
  );
  return found;
}

/** One `stat` over `folders`: the folders it found, or 'silent' when it did not end in time. */
async function statChild(
  folders: readonly string[],
  point: string,
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Map<string, FolderStat> | 'silent'> {
  // NUL-separated name and answer: a folder name may hold any other byte. %F in the C locale: "directory".
  const child = trackToolGroup(
    execa('stat', ['-L', '--printf', '%n\\0%d %i %F\\0', '--', ...folders], {
      ...OWN_PROCESS_GROUP,
      env: toolEnv(options.env),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: false,
    }),
  );
  // Given up on by the one rule for a silence (a `stat` starved of CPU on a busy machine is let finish).
  let watch: SilenceWatch | undefined;
  const deadline = new Promise<'silent'>((resolve) => {
    watch = watchSilence({
      silentMs: options.timeoutMs,
      processes: () => (child.pid === undefined ? [] : [child.pid]),
      silent: () => resolve('silent'),
    });
  });
  const result = await Promise.race([child, deadline]).finally(() => watch?.stop());
  if (result === 'silent') {
    // Not waited for: a process whose request a FUSE server already took cannot end, even by SIGKILL, until
    // the server answers. It is left to end then, holding nothing of ours (nor this process alive).
    child.kill('SIGKILL');
    child.stdout.destroy();
    child.stderr.destroy();
    child.unref();
    stuck.set(
      point,
      child.then(() => stuck.delete(point)),
    );
    return 'silent';
  }
  if (result.exitCode === undefined) return statHere(folders); // no `stat` program: asked here, unbounded
  const said = new Map<string, FolderStat>();
  const fields = result.stdout.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [dev, ino, ...type] = (fields[i + 1] ?? '').split(' ');
    if (dev !== undefined && ino !== undefined && type.join(' ') === 'directory')
      said.set(fields[i] ?? '', { dev, ino });
  }
  return said;
}

async function statHere(folders: readonly string[]): Promise<Map<string, FolderStat>> {
  const said = new Map<string, FolderStat>();
  await Promise.all(
    folders.map(async (folder) => {
      const info = await stat(folder).catch(() => undefined);
      said.set(folder, info?.isDirectory() ? { dev: String(info.dev), ino: String(info.ino) } : 'absent');
    }),
  );
  return said;
}
