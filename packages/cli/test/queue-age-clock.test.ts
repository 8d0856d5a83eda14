// How long the oldest ready job has waited (`imk queue ls`, the dashboard's queues, the metric alerts read)
// is measured on the clock of the file system the queue is on, which stamps its folders: a host whose clock
// is off the NAS's said every ready job had waited a day (a day ahead), or a job left two hours ago had
// waited none (a day behind, the age clamped at 0).
import { mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clockOffsetEnv } from '@imk/fs-safe/testing';
import { IMK } from './imk-bin.ts';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-queue-age-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** `imk queue ls --json` on a host whose clock is `offsetMs` off the file system's: the other queue's row. */
async function otherQueue(offsetMs: number): Promise<{ ready: number; oldestReadyAgeSec: number | null }> {
  const result = await execa(process.execPath, [IMK, 'queue', 'ls', '--json', '--root', root], {
    env: clockOffsetEnv(offsetMs),
  });
  const rows = JSON.parse(result.stdout) as {
    queue: string;
    ready: number;
    oldestReadyAgeSec: number | null;
  }[];
  return rows.find((row) => row.queue === 'other')!;
}

describe('imk queue ls on a host whose clock is off the file system', () => {
  it.each([
    ['a day ahead of', 86_400_000],
    ['a day behind', -86_400_000],
  ])('gives the age of the oldest ready job on the file system clock, on a host %s it', async (_, offset) => {
    // A job published two hours ago (its folder's time), and one just now.
    const old = join(root, 'queues', 'other', 'job_two_hours_ago');
    await mkdir(old, { recursive: true });
    await mkdir(join(root, 'queues', 'other', 'job_just_now'));
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    const started = performance.now();
    const row = await otherQueue(offset);
    const tookSec = Math.ceil((performance.now() - started) / 1000);
    expect(row.ready).toBe(2);
    expect(row.oldestReadyAgeSec).toBeGreaterThanOrEqual(7_200);
    expect(row.oldestReadyAgeSec).toBeLessThanOrEqual(7_200 + tookSec + 1);
  });
});
