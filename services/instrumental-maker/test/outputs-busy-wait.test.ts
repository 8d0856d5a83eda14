import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { legacySample } from '@imk/media/legacy-samples';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  folderNames,
  imk,
  jobDetail,
  readManifest,
  waitFor,
  stopWorker,
} from './helpers.ts';
import {
  busyJob,
  contents,
  infoLines,
  ledgerSays,
  looksIn,
  looksInHistory,
  removeBusyRootsAfterEach,
  writer,
} from './busy-outputs-kit.ts';

removeBusyRootsAfterEach();

// The earlier Python version still writing outputs/<id>/ when this version publishes the same id: the job
// failed with OUTPUTS_BEING_WRITTEN, was retried with the usual backoff, and after maxAttempts (about 15 s
// with the defaults) failed for good; the user had to notice and run imk retry. It now waits, spending no
// attempt, for as long as retry.maxWaitMs allows.

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
    // waits of one attempt together get retry.maxWaitMs / retry.waitCheckMs + 1 looks (here 4800 / 300 + 1
    // = 17), counted in imk-state.json; each wait here lasts a few looks, far less than retry.maxWaitMs.
    const { root, earlier, queue } = await busyJob({ maxWaitMs: 4800, waitCheckMs: 300 }, (dir) => ({
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
        /looked 18 times in this attempt's waits, each at least retry\.waitCheckMs \(300 ms\) after the last: the most retry\.maxWaitMs \(5 s\)/,
      );
      expect(error.message).toContain('imk retry busy');
      // `imk job` showed each wait's count of the attempt's looks; the last wait's line says how many.
      const detail = await jobDetail(root, 'busy');
      expect(detail.job.state).toBe('failed');
      expect(detail.job.attempts).toBe(1);
      const shown = String((await imk(['job', 'busy', '--root', root])).stdout);
      expect(shown).toMatch(/; 17 of at most 17 looks in this attempt's waits, no attempt spent/);
      // One line per wait, each with its own looks, and the attempt's count going on from the wait before.
      const counts = [...shown.matchAll(/; (\d+) of at most 17 looks in this attempt's waits/g)].map((m) =>
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
    // Before the fix the looks came in pairs 14-21 ms apart: a gap of at least half of 700 ms tells them apart.
    const waitCheckMs = 700;
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
