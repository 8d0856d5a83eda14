import { availableParallelism } from 'node:os';

/** ffmpeg processes one job runs at once by default: one per core (each encode is one busy thread). */
export function defaultParallel(): number {
  return Math.max(1, availableParallelism());
}

/** Runs tasks in order with at most `limit` at once; the first failure stops new ones and is thrown. */
export async function pool(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (failed === undefined && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, lane));
  if (failed !== undefined) throw failed as Error;
}
