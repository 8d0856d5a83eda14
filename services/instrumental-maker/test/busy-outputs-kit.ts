// What the tests of a job whose outputs folder the earlier version is still writing share: the root and its
// busy folder, the earlier version writing on, and what the ledger and the worker's log say of the wait.
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { jobDetail, makeRoot, makeSong, publishV1, removeRoot, waitFor } from './helpers.ts';

const madeRoots: string[] = [];

/** Removes, after each test of the file that calls it, the roots busyJob made. */
export function removeBusyRootsAfterEach(): void {
  afterEach(async () => {
    for (const made of madeRoots.splice(0)) await removeRoot(made);
  });
}

/** Every file under `dir` with its content, by relative path. */
export async function contents(dir: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      found.set(path.slice(dir.length + 1), await readFile(path));
    }
  return found;
}

/**
 * A root whose job `busy` finds outputs/busy/ being written by the earlier version (its folder without a
 * manifest.json yet): the set-up of every case here, with the worker's `retry` settings.
 */
export async function busyJob(
  retry: Record<string, number>,
  more: (root: string) => Record<string, unknown> = () => ({}),
): Promise<{ root: string; earlier: string; queue: string }> {
  const made = await makeRoot((dir) => ({
    pollMs: 100,
    concurrency: 1,
    variants: ['instrumental'],
    retry,
    ...more(dir),
  }));
  madeRoots.push(made);
  const earlier = join(made, 'outputs', 'busy');
  await materializeLegacySample('outputs/pyout_inst_003', earlier);
  await rm(join(earlier, 'manifest.json'));
  await makeSong(join(made, 'song.m4a'), 2, 3);
  await publishV1(
    made,
    'other',
    { job_id: 'busy', source_type: 'local', artist: 'A', title: 'Busy', audio_path: 'song.m4a' },
    { 'song.m4a': join(made, 'song.m4a') },
  );
  return { root: made, earlier, queue: join(made, 'queues', 'other') };
}

/** The earlier version goes on writing its folder: one more file each time it is called. */
export function writer(earlier: string): () => Promise<number> {
  let written = 0;
  return async () => {
    await writeFile(join(earlier, 'files', `part-${++written}.txt`), `part ${written}\n`);
    return written;
  };
}

/** How often the job's history (its one 'waiting' line) says it has looked at the busy folder. */
export async function looksInHistory(root: string): Promise<number> {
  // Not in the ledger before it is first claimed.
  const detail = await Promise.resolve()
    .then(() => jobDetail(root, 'busy'))
    .catch(() => undefined);
  const waiting = detail?.events.findLast((e) => e.state === 'waiting');
  return Number(/looked (\d+) times?/.exec(waiting?.message ?? '')?.[1] ?? 0);
}

/** The lines of a worker's JSON log about job `busy`, at info or above (pino: 30), as level and message. */
export const infoLines = (log: string): string[] =>
  log
    .split('\n')
    .filter((line) => line.startsWith('{"'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; job_id?: string })
    .filter((line) => line.job_id === 'busy' && line.level >= 30)
    .map((line) => `${line.level} ${line.msg}`);

/** The times (ms) at which a worker's JSON log (at debug) says the job looked at the busy folder and went on waiting. */
export const looksIn = (log: string): number[] =>
  log
    .split('\n')
    .filter((line) => line.startsWith('{"') && line.includes('waits (OUTPUTS_BEING_WRITTEN'))
    .map((line) => (JSON.parse(line) as { time: number }).time);

/**
 * The worker records a job's end in the ledger right after it moves the bundle to succeeded/ or failed/:
 * a test that saw the folder waits for the ledger too before reading it (under load it read the state
 * before, 'waiting' or 'running').
 */
export async function ledgerSays(root: string, state: 'succeeded' | 'failed'): Promise<void> {
  await waitFor(
    async () => (await jobDetail(root, 'busy')).job.state === state,
    60_000,
    `the ledger to say the job ${state}`,
  );
}
