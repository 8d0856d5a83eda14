// A job whose outputs folder the earlier version is still writing, on hosts whose clocks are off each other's
// or off the file system's: what the worker decides and says is measured on one clock (its own looks, or the
// file system's), never by comparing a time another clock wrote with its own.
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { legacySample } from '@imk/media/legacy-samples';
import { folderNames, imk, jobDetail, readManifest, waitFor, stopWorker } from './helpers.ts';
import { busyJob, looksInHistory, removeBusyRootsAfterEach, writer } from './busy-outputs-kit.ts';

removeBusyRootsAfterEach();

describe('a job whose outputs folder the earlier version is still writing, on hosts whose clocks are off', () => {
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
});
