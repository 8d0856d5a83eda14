import { readFile, readdir } from 'node:fs/promises';

/**
 * What a tree of processes was doing at one look (Linux: /proc/<pid>/task/<tid>/stat): whether any of its
 * threads was running or waiting for a CPU (state R), and each thread's CPU time so far (utime + stime, in
 * clock ticks), by `pid/tid`.
 */
export interface ProcessActivity {
  runnable: boolean;
  cpu: Map<string, number>;
}

/** A stat line's fields after the command name (which may hold spaces and parentheses): state is [0], ppid [1]. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * A look at `roots` and every process under them (found by their parent ids in /proc), thread by thread; or
 * undefined where the system has no /proc to read (not Linux) or none of them is there any more.
 */
export async function lookAtProcesses(roots: readonly number[]): Promise<ProcessActivity | undefined> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return undefined;
  }
  const children = new Map<number, number[]>();
  await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
        if (stat === undefined) return; // it ended while we looked
        const ppid = Number(statFields(stat)[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
      }),
  );
  const pids = new Set<number>();
  const walk = (pid: number) => {
    if (pids.has(pid)) return;
    pids.add(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  for (const root of roots) walk(root);
  const activity: ProcessActivity = { runnable: false, cpu: new Map() };
  let seen = false;
  await Promise.all(
    [...pids].map(async (pid) => {
      const tids = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
      await Promise.all(
        tids.map(async (tid) => {
          const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => undefined);
          if (stat === undefined) return;
          seen = true;
          const fields = statFields(stat);
          // Fields 14 and 15 of stat (utime, stime) are [11] and [12] here.
          if (fields[0] === 'R') activity.runnable = true;
          activity.cpu.set(`${pid}/${tid}`, Number(fields[11]) + Number(fields[12]));
        }),
      );
    }),
  );
  return seen ? activity : undefined;
}

/**
 * Whether the processes worked between two looks: one of their threads was running or waiting for a CPU at
 * the second, used CPU time since the first, or is new since (a process or thread started).
 */
export function workedBetween(before: ProcessActivity, after: ProcessActivity): boolean {
  if (after.runnable) return true;
  for (const [thread, ticks] of after.cpu) {
    const was = before.cpu.get(thread);
    if (was === undefined || ticks > was) return true;
  }
  return false;
}

/** A watch on work that says its progress (watchSilence). */
export interface SilenceWatch {
  /** The work made progress: its silence starts again. */
  progress(): void;
  /**
   * True while the work's processes are watched for the second half of a silence: whoever asks them anything
   * (rclone's core/stats) holds off until it is over, or the asking would be taken for their work.
   */
  readonly looking: boolean;
  /** The work ended: nothing more is looked at or called. */
  stop(): void;
}

/**
 * The one rule by which a silence of work on a share is taken for a share that stopped answering (the local
 * helper's operations, rclone's rc calls, the per-mount `stat` of a pass): once the work has said nothing for
 * half of `silentMs`, its processes (and everything under them) are looked at, and again as the silence
 * reaches `silentMs`. A process waiting on a share that stopped answering sleeps in the file-system call (state
 * D, or S inside a FUSE request) and uses no CPU; one that works, or only waits for a CPU on a busy machine, is
 * runnable (R) or used CPU time between the looks: its silence is watched again (another `silentMs`) rather
 * than given up on. `silent` is called once, with the time of the last progress, when nothing worked between
 * the looks, or when there was nothing to look at (no /proc: not Linux; the processes gone).
 */
export function watchSilence(options: {
  silentMs: number;
  /** The pids of the work's processes now (those under them are found); none: the silence alone decides. */
  processes(): readonly number[];
  silent(since: Date): void;
}): SilenceWatch {
  const half = Math.ceil(options.silentMs / 2);
  let progressAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let round = 0;
  let looking = false;
  let stopped = false;
  const look = (): Promise<ProcessActivity | undefined> => {
    const pids = options.processes();
    return pids.length === 0 ? Promise.resolve(undefined) : lookAtProcesses(pids);
  };
  // A look that was overtaken (progress, the work's end) while it read /proc is not acted on.
  const current = (at: number) => !stopped && at === round;
  const arm = () => {
    clearTimeout(timer);
    looking = false;
    const at = ++round;
    timer = setTimeout(() => {
      looking = true;
      void look().then((before) => {
        if (!current(at)) return;
        timer = setTimeout(() => {
          void look().then((after) => {
            if (!current(at)) return;
            if (before && after && workedBetween(before, after)) return arm();
            stopped = true;
            looking = false;
            options.silent(new Date(progressAt));
          });
        }, options.silentMs - half);
      });
    }, half);
  };
  arm();
  return {
    progress() {
      if (stopped) return;
      progressAt = Date.now();
      arm();
    },
    get looking() {
      return looking;
    },
    stop() {
      stopped = true;
      looking = false;
      clearTimeout(timer);
    },
  };
}
