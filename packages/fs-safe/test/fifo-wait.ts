// Whether a thread of this process, or of a child of it, is blocked opening a FIFO that no writer opens: the
// positive sign of a copy by name that fell into a FIFO swapped in (`waitsOnFifo`).
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How a thread's wait was read: its kernel stack (`/proc/<pid>/task/<tid>/stack`, root only), or where it
 * sleeps and in which system call (`wchan` and `syscall`, readable by the same user).
 */
export type FifoEvidence = 'stack' | 'wchan';

/**
 * The system calls that open a file, by `process.arch`. A FIFO's open also sleeps in `pipe_wait` on older
 * kernels, where a read of an empty pipe sleeps too: the system call tells the two apart.
 */
const OPEN_SYSCALLS: Partial<Record<NodeJS.Architecture, readonly number[]>> = {
  x64: [2, 257, 437], // open, openat, openat2
  arm64: [56, 437], // openat, openat2
  riscv64: [56, 437],
};

/** Where a FIFO's open sleeps: `wait_for_partner` (what fifo_open calls), itself or in older kernels' `pipe_wait`. */
const FIFO_WCHANS = new Set(['wait_for_partner', 'fifo_open', 'pipe_wait']);

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Whether the thread (`/proc/<pid>/task/<tid>`) is blocked opening a FIFO, or undefined when unreadable. */
function threadOnFifo(task: string, way: FifoEvidence): boolean | undefined {
  if (way === 'stack') {
    const stack = read(`${task}/stack`);
    return stack === undefined ? undefined : stack.includes('wait_for_partner');
  }
  const wchan = read(`${task}/wchan`);
  const syscall = read(`${task}/syscall`);
  if (wchan === undefined || syscall === undefined) return undefined;
  if (!FIFO_WCHANS.has(wchan.trim())) return false;
  const opens = OPEN_SYSCALLS[process.arch];
  // An architecture whose numbers are not listed: only the names no other wait has.
  if (opens === undefined) return wchan.trim() !== 'pipe_wait';
  return opens.includes(Number(syscall.split(' ')[0]));
}

/**
 * How a thread of this process or of a child of it was seen blocked opening a FIFO (no writer came): by the
 * first of `ways` this user can read for that thread (root reads kernel stacks, as it always has; another
 * user reads wchan and syscall). False when none is; undefined when no thread could be read at all.
 */
export function fifoWaitSeen(
  ways: readonly FifoEvidence[] = ['stack', 'wchan'],
): FifoEvidence | false | undefined {
  let readable = false;
  const pids = [process.pid];
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i]!;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
      for (const tid of tids) {
        const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (children !== '') pids.push(...children.split(' ').map(Number));
      }
    } catch {
      // The process ended while we looked.
    }
    for (const tid of tids)
      for (const way of ways) {
        const blocked = threadOnFifo(`/proc/${pid}/task/${tid}`, way);
        if (blocked === undefined) continue; // gone, or not readable this way by this user: the next way
        readable = true;
        if (blocked) return way;
        break;
      }
  }
  return readable ? false : undefined;
}

/**
 * Resolves 'hung' once a thread of this process (or of a child) is seen blocked opening a FIFO, the wait a
 * copy by name falls into when a FIFO is swapped in: the positive sign of that bug, however slow the
 * machine, instead of a time limit that a busy machine can reach. Read from kernel stacks as root, from
 * wchan and syscall as another user; where neither can be read, a minute without an outcome counts as that
 * wait. Stops looking when `signal` aborts.
 */
export async function waitsOnFifo(signal: AbortSignal): Promise<'hung'> {
  const since = performance.now();
  while (!signal.aborted) {
    const seen = fifoWaitSeen();
    if (seen === 'stack' || seen === 'wchan' || (seen === undefined && performance.now() - since > 60_000))
      return 'hung';
    await sleep(20, undefined, { signal }).catch(() => undefined);
  }
  return 'hung';
}
