// What the backend conformance suite (conformance.ts) uses to tell a hang on a FIFO from a slow machine.
import { constants, readFileSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { waitsOnFifo, within } from '@imk/fs-safe/testing';
import { descendants } from './servers/processes.ts';

/**
 * What `promise` gives, or 'waited on a FIFO' once a thread of this process or of a child of it (the local
 * backend's helper, sshd's sessions, `rclone serve`) is seen blocked opening one: the sign of that hang,
 * however slow the machine, instead of a time limit a busy machine can reach. A wait seen is then let go (a
 * writer comes and goes on `fifo`), so the suite ends. Any other hang fails after `ms` (half the test's time
 * limit: it decides only how soon that failure is reported) with an Error naming `what` was awaited and what
 * this process's children were doing.
 */
export async function withoutFifoWait<T>(
  fifo: string,
  what: string,
  ms: number,
  promise: Promise<T>,
): Promise<T | 'waited on a FIFO'> {
  const looking = new AbortController();
  try {
    const said = await within(
      Promise.race([promise, waitsOnFifo(looking.signal).then(() => 'waited on a FIFO' as const)]),
      ms,
      `${what} (neither an outcome nor a wait on a FIFO came)`,
      childrenNow,
    );
    if (said === 'waited on a FIFO')
      await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).then(
        (writer) => writer.close(),
        () => undefined,
      );
    return said;
  } finally {
    looking.abort();
  }
}

/** This process's children and theirs, each with what its threads wait in (for a hang's message). */
function childrenNow(): string {
  const now = descendants(process.pid).map(({ pid, comm }) => {
    const waits = (() => {
      try {
        const tids = readdirSync(`/proc/${pid}/task`);
        return [...new Set(tids.map((tid) => readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8')))];
      } catch {
        return ['gone'];
      }
    })();
    return `${pid} ${comm} (in ${waits.join(', ')})`;
  });
  return `this process's children: ${now.join('; ') || 'none'}`;
}
