import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNotifyResults, recordResult } from './results.ts';
import { resultsFile } from './store.ts';

let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'imk-notify-results-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

describe('recordResult', () => {
  it('results recorded at once while the file is cut back are all kept, and none fails', async () => {
    // Media-server refreshes of one pass run side by side and record their tries together; the file is
    // just past the size at which it is cut back to its newest lines.
    const file = resultsFile(state);
    await mkdir(dirname(file), { recursive: true });
    const old = JSON.stringify({
      at: 'x',
      event: 'job.succeeded',
      target: 'old',
      ok: true,
      attempt: 1,
      final: true,
    });
    await writeFile(file, `${old}\n`.repeat(Math.ceil((256 * 1024) / old.length) + 10));
    const targets = Array.from({ length: 12 }, (_, i) => `server_${i}`);
    const settled = await Promise.allSettled(
      targets.map((target) =>
        recordResult(state, {
          at: new Date().toISOString(),
          event: 'refresh',
          target,
          ok: true,
          attempt: 1,
          final: true,
        }),
      ),
    );
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    const newest = (await readNotifyResults(state, 50)).map((r) => r.target);
    expect(newest.filter((t) => t !== 'old').sort()).toEqual([...targets].sort());
  });
});
