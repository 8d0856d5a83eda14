import { readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  folderNames,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
  waitFor,
  stopWorker,
} from './helpers.ts';

let root: string | undefined;
afterEach(() => removeRoot(root));

/** Every file under `dir` with its content, by relative path. */
async function contents(dir: string): Promise<Map<string, Buffer>> {
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
async function busyJob(
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
  root = made;
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
function writer(earlier: string): () => Promise<number> {
  let written = 0;
  return async () => {
    await writeFile(join(earlier, 'files', `part-${++written}.txt`), `part ${written}\n`);
    return written;
  };
}

/** How often the job's history (its one 'waiting' line) says it has looked at the busy folder. */
async function looksInHistory(root: string): Promise<number> {
  // Not in the ledger before it is first claimed.
  const detail = await Promise.resolve()
    .then(() => jobDetail(root, 'busy'))
    .catch(() => undefined);
  const waiting = detail?.events.findLast((e) => e.state === 'waiting');
  return Number(/looked (\d+) times?/.exec(waiting?.message ?? '')?.[1] ?? 0);
}

/** The lines of a worker's JSON log about job `busy`, at info or above (pino: 30), as level and message. */
const infoLines = (log: string): string[] =>
  log
    .split('\n')
    .filter((line) => line.startsWith('{"'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; job_id?: string })
    .filter((line) => line.job_id === 'busy' && line.level >= 30)
    .map((line) => `${line.level} ${line.msg}`);

/** The times (ms) at which a worker's JSON log (at debug) says the job looked at the busy folder and went on waiting. */
const looksIn = (log: string): number[] =>
  log
    .split('\n')
    .filter((line) => line.startsWith('{"') && line.includes('waits (OUTPUTS_BEING_WRITTEN'))
    .map((line) => (JSON.parse(line) as { time: number }).time);

// The earlier Python version still writing outputs/<id>/ when this version publishes the same id: the job
// failed with OUTPUTS_BEING_WRITTEN, was retried with the usual backoff, and after maxAttempts (about 15 s
// with the defaults) failed for good; the user had to notice and run imk retry. It now waits, spending no
// attempt, for as long as retry.maxWaitMs allows.

/**
 * The worker records a job's end in the ledger right after it moves the bundle to succeeded/ or failed/:
 * a test that saw the folder waits for the ledger too before reading it (under load it read the state
 * before, 'waiting' or 'running').
 */
async function ledgerSays(root: string, state: 'succeeded' | 'failed'): Promise<void> {
  await waitFor(
    async () => (await jobDetail(root, 'busy')).job.state === state,
    60_000,
    `the ledger to say the job ${state}`,
  );
}
describe('a job whose outputs folder the earlier version is still writing', () => {
  it('waits for it past the old give-up time, then publishes by itself, keeping every file of the earlier version', async () => {
    // Two attempts 50 ms apart: the old code gave up after the second look at the folder.
    const { root, earlier, queue } = await busyJob({
      maxAttempts: 2,
      backoffMs: 50,
      maxBackoffMs: 100,
      maxWaitMs: 600_000,
      waitCheckMs: 200,
    });
    const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const write = writer(earlier);
    try {
      // The earlier version goes on writing its folder, a file at a time, until the job has looked at it
      // more often than its attempts allow (the old code failed it for good by then).
      await waitFor(
        async () => {
          await write();
          return (await looksInHistory(root)) > 4 || (await folderNames(join(queue, 'failed'))).length > 0;
        },
        120_000,
        'the job to look at the busy folder more often than its attempts allow',
      );
      expect(await folderNames(join(queue, 'failed'))).toEqual([]);
      // Its history says what it waits for, since when and when it gives up, in one line however often it
      // looked: before, each look added a "running" and a "retrying" line (about 2,900 over a day's wait).
      const waiting = await jobDetail(root, 'busy');
      expect(waiting.job.state).toBe('waiting');
      expect(waiting.events.map((e) => e.state)).toEqual(['running', 'waiting']);
      const shown = String((await imk(['job', 'busy', '--root', root])).stdout);
      expect(shown).toMatch(
        /job busy: waiting[\s\S]*waiting for another program \(the earlier instrumental-maker\?\) to finish writing outputs\/busy\/ since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, gives up at [\d-]+ [\d:]+ UTC \(retry\.maxWaitMs\); looked \d+ times/,
      );
      const before = await contents(earlier);
      // It finishes: its manifest.json, written last.
      await writeFile(
        join(earlier, 'manifest.json'),
        await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8'),
      );
      before.set('manifest.json', await readFile(join(earlier, 'manifest.json')));
      await waitFor(
        async () =>
          (await folderNames(join(queue, 'succeeded'))).length > 0 ||
          (await folderNames(join(queue, 'failed'))).length > 0,
        120_000,
        'the job to be published or failed',
      );
      expect(await folderNames(join(queue, 'failed'))).toEqual([]);
      expect((await readManifest(root, 'busy')).job_id).toBe('busy');
      await ledgerSays(root, 'succeeded');
      const detail = await jobDetail(root, 'busy');
      expect(detail.job.state).toBe('succeeded');
      expect(detail.events.map((e) => e.state)).toEqual(['running', 'waiting', 'running', 'succeeded']);
      expect(detail.events[1]!.message).toMatch(/looked (\d+) times/);
      expect(Number(/looked (\d+) times/.exec(detail.events[1]!.message ?? '')![1])).toBeGreaterThan(4);
      // The wait is one entry of the job's errors (its first look), not one per look.
      expect(detail.errors.map((e) => e.message)).toEqual([
        expect.stringContaining('outputs/busy/ holds files without a manifest.json'),
      ]);
      // The earlier version's folder, whole (its files written during the wait too), kept for good.
      const kept = (await folderNames(join(root, 'outputs', '.replaced'))).filter((n) =>
        n.startsWith('busy@'),
      );
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatch(/\.earlier-version$/);
      expect(await contents(join(root, 'outputs', '.replaced', kept[0]!))).toEqual(before);
      // The log said what the job waited for, and where.
      expect(log).toContain('outputs/busy/ holds files without a manifest.json');
      // At info, the service log said the wait once when it began and once when it ended, however often the
      // job looked: before, each look logged "job started" and "job busy waits" (about 2,900 pairs a day).
      // ("job succeeded" is logged right after the bundle moved to succeeded/.)
      await waitFor(() => infoLines(log).includes('30 job succeeded'), 60_000, 'the log to say so');
      expect(infoLines(log)).toEqual([
        '30 job started',
        expect.stringMatching(
          /^40 job busy waits \(OUTPUTS_BEING_WRITTEN\): waiting for another program \(the earlier instrumental-maker\?\) to finish writing outputs\/busy\/ since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, gives up at [\d-]+ [\d:]+ UTC \(retry\.maxWaitMs\); looking again every 200 ms \(retry\.waitCheckMs\)/,
        ),
        expect.stringMatching(
          /^30 job busy started: the wait for another program \(the earlier instrumental-maker\?\) to finish writing outputs\/busy\/ since [\d-]+ [\d:]+ UTC is over \(waited at least \d+ s: \d+ looks, each at least retry\.waitCheckMs \(200 ms\) after the last\)$/,
        ),
        '30 stems found in the cache; the engine is not run',
        "40 outputs/busy/ (the earlier instrumental-maker's output folder) was moved aside, kept for good (imk cleanup never removes it)",
        '30 job succeeded',
      ]);
    } finally {
      await stopWorker(worker);
    }
  }, 300_000);

  it('fails after retry.maxWaitMs when the earlier version never finishes, saying how long it waited', async () => {
    const { root, earlier, queue } = await busyJob({
      maxAttempts: 2,
      backoffMs: 50,
      maxBackoffMs: 100,
      maxWaitMs: 1500,
      waitCheckMs: 200,
    });
    const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const write = writer(earlier);
    try {
      let written = 0;
      await waitFor(
        async () => {
          written = await write();
          return (await folderNames(join(queue, 'failed'))).length > 0;
        },
        120_000,
        'the job to give up waiting',
      );
      const error = JSON.parse(
        await readFile(join(queue, 'failed', 'job_busy', 'imk-error.json'), 'utf8'),
      ) as { message: string };
      expect(error.message).toContain('outputs/busy/ holds files without a manifest.json');
      // Counted in looks, each at least retry.waitCheckMs after the last (1500 / 200 + 1 = 8, and the ninth
      // gives up), not timed from a since another host may have written.
      expect(error.message).toMatch(
        /waited at least 1 s for it: looked 9 times, each at least retry\.waitCheckMs \(200 ms\) after the last, the longest retry\.maxWaitMs \(2 s\)/,
      );
      expect(error.message).toContain('imk retry busy');
      // Nothing of the earlier version moved: it is still being written where it was.
      expect(await folderNames(join(root, 'outputs', '.replaced'))).toEqual([]);
      const parts = (await folderNames(join(earlier, 'files'))).filter((name) => name.startsWith('part-'));
      expect(parts).toHaveLength(written);
      // At info, the service log said the wait when it began and when it was given up, not each look.
      await waitFor(() => infoLines(log).includes('40 job failed'), 60_000, 'the log to say so');
      expect(infoLines(log)).toEqual([
        '30 job started',
        expect.stringMatching(/^40 job busy waits \(OUTPUTS_BEING_WRITTEN\): waiting for another program/),
        '40 job failed',
      ]);
    } finally {
      await stopWorker(worker);
    }
  }, 300_000);

  it('goes on waiting when the wait was begun by a host whose clock is a day off this one', async () => {
    // Another worker sharing the queue, its clock two days behind this host's, began the wait and looked
    // once (what its imk-state.json says). The old code compared that since with this host's clock, took
    // the wait for two days old and failed the job at its first look here, a minute into a 24-hour wait.
    const { root, earlier, queue } = await busyJob({ maxWaitMs: 600_000, waitCheckMs: 200 });
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await writeFile(
      join(queue, 'job_busy', 'imk-state.json'),
      JSON.stringify({
        attempts: 0,
        waiting: { for: 'OUTPUTS_BEING_WRITTEN', since, looks: 1 },
        wait_looks: 1,
      }),
    );
    const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    const write = writer(earlier);
    try {
      await waitFor(
        async () => {
          await write();
          return (await looksInHistory(root)) >= 4 || (await folderNames(join(queue, 'failed'))).length > 0;
        },
        120_000,
        'the job to look at the busy folder again',
      );
      expect(await folderNames(join(queue, 'failed'))).toEqual([]);
      const shown = String((await imk(['job', 'busy', '--root', root])).stdout);
      // The same wait goes on (its since, as the other host wrote it), bounded by this attempt's looks.
      expect(shown).toContain(`since ${since.slice(0, 19).replace('T', ' ')} UTC`);
      expect(shown).toMatch(/; \d+ of at most 3001 looks in this attempt's waits, no attempt spent/);
    } finally {
      await stopWorker(worker);
    }
  }, 300_000);

  it.each([
    ['a day ahead of', 86_400_000],
    ['a day behind', -86_400_000],
  ])(
    'says how long it waited from its own looks, not from the since of a host whose clock is %s this one',
    async (_, offsetMs) => {
      // Another worker, its clock a day off this host's, began the wait and looked three times. The old code
      // logged waited_ms = now − that since: 86400000 (a day behind) or 0 (a day ahead), and its wait-ended
      // line said "(1440 min, N looks)". Now: the looks so far × retry.waitCheckMs, said as "at least".
      const waitCheckMs = 200;
      const { root, earlier, queue } = await busyJob({ maxWaitMs: 600_000, waitCheckMs });
      const since = new Date(Date.now() + offsetMs).toISOString();
      await writeFile(
        join(queue, 'job_busy', 'imk-state.json'),
        JSON.stringify({
          attempts: 0,
          waiting: { for: 'OUTPUTS_BEING_WRITTEN', since, looks: 3 },
          wait_looks: 3,
        }),
      );
      const began = Date.now();
      const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'debug' } });
      let log = '';
      worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const write = writer(earlier);
      type Line = {
        msg: string;
        job_id?: string;
        waited_ms?: number;
        waited_at_least_ms?: number;
        looks?: number;
      };
      const lines = (): Line[] =>
        log
          .split('\n')
          .slice(0, -1)
          .filter((line) => line.startsWith('{"'))
          .map((line) => JSON.parse(line) as Line)
          .filter((line) => line.job_id === 'busy');
      try {
        // It looks here twice more (the folder still busy), then the earlier version finishes.
        await waitFor(
          async () => {
            await write();
            return lines().filter((line) => line.msg.includes('waits (OUTPUTS_BEING_WRITTEN')).length >= 2;
          },
          120_000,
          'the job to look at the busy folder here',
        );
        await writeFile(
          join(earlier, 'manifest.json'),
          await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8'),
        );
        await waitFor(
          () => lines().some((line) => line.msg === 'job succeeded'),
          120_000,
          'the job to be published',
        );
        const elapsed = Date.now() - began;
        // Nothing said of the wait is more than this host could have seen: the other host's three looks
        // (each at least retry.waitCheckMs apart) and this test's own time. Before, a day.
        const said = lines().filter(
          (line) => line.waited_ms !== undefined || line.waited_at_least_ms !== undefined,
        );
        expect(said.length).toBeGreaterThanOrEqual(3);
        for (const line of said)
          expect(line.waited_at_least_ms ?? line.waited_ms!).toBeLessThan(3 * waitCheckMs + elapsed);
        // The wait's end says how long at the least, by its looks, and which looks (the other host's too).
        const ended = said.at(-1)!;
        expect(ended.msg).toMatch(
          new RegExp(
            `^job busy started: the wait for another program \\(the earlier instrumental-maker\\?\\) to finish writing outputs/busy/ since ${since.slice(0, 19).replace('T', ' ')} UTC is over \\(waited at least \\d+ (ms|s): ${ended.looks} looks, each at least retry\\.waitCheckMs \\(200 ms\\) after the last\\)$`,
          ),
        );
        // Each look here and the wait's end: looks 4, 5, … (the other host's three went before), each said
        // as at least (looks − 1) × retry.waitCheckMs, in a field that says so (not waited_ms).
        expect(said.map((line) => line.looks)).toEqual(said.map((_line, i) => i + 4));
        for (const line of said) {
          expect(line.waited_ms).toBeUndefined();
          expect(line.waited_at_least_ms).toBe((line.looks! - 1) * waitCheckMs);
        }
        expect(await folderNames(join(queue, 'failed'))).toEqual([]);
      } finally {
        await stopWorker(worker);
      }
    },
    300_000,
  );

  // The worker judged "changed in the last 6 hours" as Date.now() − the newest mtime in the folder: an mtime
  // stamped by the file server outputs/ is on (or by the earlier version's host), compared with this host's
  // clock. A worker a day ahead of it took a folder being written for one left a day ago and moved it aside
  // (the earlier version then wrote its next files into the job's folder); one a day behind waited for a
  // folder left long ago. The folder's age is now measured against "now" on the file system's own clock.
  // The worker's clock is moved by a test stand-in (clockOffsetEnv); the disk stamps real times.
  const clockOff = (offsetMs: number) => ({ IMK_LOG_LEVEL: 'info', ...clockOffsetEnv(offsetMs) });

  it("waits for a folder being written when this host's clock is a day ahead of the file system's", async () => {
    const { root, earlier, queue } = await busyJob({ maxWaitMs: 600_000, waitCheckMs: 200 });
    const worker = imk(['run', '--root', root], { env: clockOff(86_400_000) });
    const write = writer(earlier);
    try {
      await waitFor(
        async () => {
          await write();
          return (
            (await looksInHistory(root)) >= 3 ||
            (await folderNames(join(queue, 'succeeded'))).length > 0 ||
            (await folderNames(join(queue, 'failed'))).length > 0
          );
        },
        120_000,
        'the job to look at the busy folder, or to publish',
      );
      // Nothing of the earlier version moved: it is still being written where it was, and the job waits.
      expect(await folderNames(join(root, 'outputs', '.replaced'))).toEqual([]);
      expect(await folderNames(join(queue, 'succeeded'))).toEqual([]);
      expect((await jobDetail(root, 'busy')).job.state).toBe('waiting');
      // No probe of the file system's clock is left in outputs/.
      expect((await folderNames(join(root, 'outputs'))).filter((n) => n.startsWith('.imk-'))).toEqual([]);
    } finally {
      await stopWorker(worker);
    }
  }, 300_000);

  it("moves aside a folder left 7 hours ago at once when this host's clock is a day behind the file system's", async () => {
    const { root, earlier, queue } = await busyJob({ maxWaitMs: 600_000, waitCheckMs: 200 });
    // Left by the earlier version 7 hours ago (by the disk's clock): past the 6 hours that make it abandoned.
    const left = new Date(Date.now() - 7 * 3600_000);
    const entries = await readdir(earlier, { recursive: true, withFileTypes: true });
    for (const entry of entries) await utimes(join(entry.parentPath, entry.name), left, left);
    await utimes(earlier, left, left);
    const worker = imk(['run', '--root', root], { env: clockOff(-86_400_000) });
    try {
      await waitFor(
        async () =>
          (await folderNames(join(queue, 'succeeded'))).length > 0 ||
          (await looksInHistory(root)) >= 3 ||
          (await folderNames(join(queue, 'failed'))).length > 0,
        120_000,
        'the job to publish, or to look at the folder again',
      );
      expect(await folderNames(join(queue, 'succeeded'))).toEqual(['job_busy']);
      const kept = await folderNames(join(root, 'outputs', '.replaced'));
      expect(kept).toEqual([expect.stringMatching(/^busy@.*\.earlier-version$/)]);
      expect((await readManifest(root, 'busy')).job_id).toBe('busy');
    } finally {
      await stopWorker(worker);
    }
  }, 300_000);

  it('waits again as a wait of its own (its own since and looks) when the folder is busy again after the job ran', async () => {
    // The separation of a run that begins while `hold` exists stays held until the test removes it.
    const { root, earlier, queue } = await busyJob({ maxWaitMs: 600_000, waitCheckMs: 200 }, (dir) => ({
      engine: {
        name: 'counting',
        module: PROCESS_COUNTING_ENGINE,
        params: { counterFile: engineCalls(dir), holdStartedWhile: join(dir, 'hold') },
      },
    }));
    const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const write = writer(earlier);
    const manifest = await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8');
    const waits = async () => (await jobDetail(root, 'busy')).events.filter((e) => e.state === 'waiting');
    const sinceOf = (message: string | null | undefined) =>
      Date.parse(`${/ since ([\d-]+ [\d:]+) UTC/.exec(message ?? '')![1]!.replace(' ', 'T')}Z`);
    const hold = join(root, 'hold');
    try {
      // The first wait: the job ran, found the folder busy, and has looked at it again a few times, for
      // longer than a second (the history's times are to the second).
      await waitFor(
        async () => {
          await write();
          const [first] = await waits().catch(() => []);
          return (await looksInHistory(root)) >= 3 && Date.now() - sinceOf(first?.message) > 2000;
        },
        120_000,
        'the job to wait for the busy folder',
      );
      const [first] = await waits();
      // The earlier version finishes; the stems were cleaned up meanwhile, so the job separates again (held).
      await writeFile(hold, '');
      await rm(join(root, 'state', 'cache', 'stems'), { recursive: true, force: true });
      const ended = Date.now();
      await writeFile(join(earlier, 'manifest.json'), manifest);
      await waitFor(
        async () => (await readFile(engineCalls(root), 'utf8')).trim().split('\n').length >= 2,
        120_000,
        'the job to run again',
      );
      // While it runs, the earlier version begins writing the folder again.
      await rm(join(earlier, 'manifest.json'));
      await write();
      await rm(hold);
      await waitFor(async () => (await waits()).length >= 2, 120_000, 'the job to wait again');
      const detail = await jobDetail(root, 'busy');
      expect(detail.events.map((e) => e.state)).toEqual(['running', 'waiting', 'running', 'waiting']);
      const [, second] = await waits();
      // The first wait's line is kept as it was; the second says when it began and its own looks. Before,
      // it went on counting from the first wait's beginning, as if the job had never run.
      expect(Number(/looked (\d+) times/.exec(detail.events[1]!.message ?? '')?.[1])).toBeGreaterThanOrEqual(
        3,
      );
      expect(second!.message).toMatch(/; looked 1 time, the last at /);
      expect(sinceOf(second!.message)).toBeGreaterThanOrEqual(Math.floor(ended / 1000) * 1000);
      expect(sinceOf(first!.message)).toBeLessThan(Math.floor(ended / 1000) * 1000);
      const shown = String((await imk(['job', 'busy', '--root', root])).stdout);
      expect(shown.match(/waiting for another program[^\n]* since /g)).toHaveLength(2);
      // The service log said each wait's beginning (the line comes right after the history's).
      await waitFor(
        () => infoLines(log).filter((line) => line.startsWith('40 job busy waits')).length >= 2,
        60_000,
        "the log to say the second wait's beginning",
      );
      expect(infoLines(log).filter((line) => line.startsWith('40 job busy waits'))).toHaveLength(2);
      // It ends like the first.
      await writeFile(join(earlier, 'manifest.json'), manifest);
      await waitFor(
        async () => (await folderNames(join(queue, 'succeeded'))).length > 0,
        120_000,
        'the job to be published',
      );
      await ledgerSays(root, 'succeeded');
      expect((await jobDetail(root, 'busy')).events.map((e) => e.state)).toEqual([
        'running',
        'waiting',
        'running',
        'waiting',
        'running',
        'succeeded',
      ]);
    } finally {
      await rm(hold, { force: true });
      await stopWorker(worker);
    }
  }, 300_000);

  it('gives up when its waits in one attempt together reach retry.maxWaitMs, also when the folder keeps going busy again after the job ran', async () => {
    // Each wait began afresh after the job ran (its own since and looks, as above), so a folder that went
    // busy, free (the job ran), busy again… kept the job cycling wait -> run -> wait without end. Now all the
    // waits of one attempt together get retry.maxWaitMs / retry.waitCheckMs + 1 looks (here 6000 / 300 + 1
    // = 21), counted in imk-state.json; each wait here lasts a few looks, far less than retry.maxWaitMs.
    const { root, earlier, queue } = await busyJob({ maxWaitMs: 6000, waitCheckMs: 300 }, (dir) => ({
      engine: {
        name: 'counting',
        module: PROCESS_COUNTING_ENGINE,
        params: { counterFile: engineCalls(dir), holdStartedWhile: join(dir, 'hold') },
      },
    }));
    const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    const write = writer(earlier);
    const manifest = await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8');
    // Not in the ledger before it is first claimed.
    const waits = async () =>
      (
        await Promise.resolve()
          .then(() => jobDetail(root, 'busy'))
          .catch(() => undefined)
      )?.events.filter((e) => e.state === 'waiting') ?? [];
    const calls = async () =>
      (await readFile(engineCalls(root), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).length;
    const failed = async () => (await folderNames(join(queue, 'failed'))).length > 0;
    const hold = join(root, 'hold');
    try {
      let cycles = 0;
      // At most 12 waits (the first of them before the job ever ran); the fix gives up in the sixth or so.
      while (cycles < 12 && !(await failed())) {
        cycles++;
        // This wait has begun and looked four times (or the job gave up meanwhile).
        await waitFor(
          async () => {
            await write();
            return (
              (await failed()) || ((await waits()).length >= cycles && (await looksInHistory(root)) >= 4)
            );
          },
          120_000,
          `wait ${cycles} to look four times`,
        );
        if (await failed()) break;
        // The folder is free: the job runs (its separation held, the stems removed so that it separates)…
        await writeFile(hold, '');
        await rm(join(root, 'state', 'cache', 'stems'), { recursive: true, force: true });
        const before = await calls();
        await writeFile(join(earlier, 'manifest.json'), manifest);
        // (Or it gave up at a look right before the folder went free.)
        await waitFor(
          async () => (await calls()) > before || (await failed()),
          120_000,
          `run ${cycles} to separate`,
        );
        // …and the folder goes busy again before it publishes.
        await rm(join(earlier, 'manifest.json'));
        await write();
        await rm(hold);
      }
      await waitFor(failed, 120_000, 'the job to give up');
      await ledgerSays(root, 'failed');
      // It gave up while the folder still went free now and then (before, it cycled through all 12 waits
      // and gave up only when the test kept the folder busy through one whole retry.maxWaitMs).
      expect(cycles, 'waits before it gave up').toBeGreaterThan(2);
      expect(cycles, 'waits before it gave up').toBeLessThan(12);
      const error = JSON.parse(
        await readFile(join(queue, 'failed', 'job_busy', 'imk-error.json'), 'utf8'),
      ) as { message: string };
      expect(error.message).toContain('outputs/busy/ holds files without a manifest.json');
      expect(error.message).toMatch(
        /looked 22 times in this attempt's waits, each at least retry\.waitCheckMs \(300 ms\) after the last: the most retry\.maxWaitMs \(6 s\)/,
      );
      expect(error.message).toContain('imk retry busy');
      // `imk job` showed each wait's count of the attempt's looks; the last wait's line says how many.
      const detail = await jobDetail(root, 'busy');
      expect(detail.job.state).toBe('failed');
      expect(detail.job.attempts).toBe(1);
      const shown = String((await imk(['job', 'busy', '--root', root])).stdout);
      expect(shown).toMatch(/; 21 of at most 21 looks in this attempt's waits, no attempt spent/);
      // One line per wait, each with its own looks, and the attempt's count going on from the wait before.
      const counts = [...shown.matchAll(/; (\d+) of at most 21 looks in this attempt's waits/g)].map((m) =>
        Number(m[1]),
      );
      expect(counts.length, shown).toBe(cycles);
      expect(counts, shown).toEqual([...counts].sort((a, b) => a - b));
      expect(new Set(counts).size, shown).toBe(counts.length);
    } finally {
      await rm(hold, { force: true });
      await stopWorker(worker);
    }
  }, 300_000);

  it('is looked at once every retry.waitCheckMs by all the workers sharing the queue, not once by each', async () => {
    const waitCheckMs = 1500;
    const { root, earlier } = await busyJob({ maxWaitMs: 600_000, waitCheckMs });
    // Two workers (two hosts sharing queues/ and outputs/; two processes here, each its own consumer).
    const logs = ['', ''];
    const workers = logs.map((_, i) => {
      // Each look after the first is logged at debug.
      const worker = imk(['run', '--root', root], { env: { IMK_LOG_LEVEL: 'debug' } });
      worker.all?.on('data', (chunk: Buffer) => (logs[i] += chunk.toString()));
      return worker;
    });
    const looks = () => logs.flatMap(looksIn).sort((a, b) => a - b);
    const write = writer(earlier);
    try {
      await waitFor(
        async () => {
          await write();
          // Both workers must have looked (else this proves nothing), and six looks are five intervals.
          return logs.every((log) => looksIn(log).length > 0) && looks().length >= 6;
        },
        120_000,
        'both workers to look at the busy folder',
      );
      // Before, a worker that had seen the job given back once counted every later delay from that moment:
      // it looked again right after each look of the other (pairs of looks a poll apart).
      const times = looks();
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.min(...gaps), `looks at ${times.join(', ')}`).toBeGreaterThan(waitCheckMs / 2);
    } finally {
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.allSettled(workers);
    }
  }, 300_000);
});
