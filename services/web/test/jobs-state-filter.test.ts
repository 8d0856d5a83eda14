import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { publishManyUnsynced } from '../../../packages/fsqueue/test/helpers.ts';
import { servedTempRoot } from './helpers.ts';

// /api/jobs?state=<s> filtered after the ledger's limit (300 unless asked): the failed jobs among 1,000
// newer succeeded ones were cut off before the filter looked, and the list said there were none.
const served = servedTempRoot();

interface Listed {
  job_id: string;
  state: string;
}

async function list(query: string): Promise<{ jobs: Listed[]; total: string | null }> {
  const response = await fetch(`${served.web.url}/api/jobs?${query}`);
  expect(response.status).toBe(200);
  return { jobs: (await response.json()) as Listed[], total: response.headers.get('x-total-count') };
}

describe('the jobs list asked for one state', () => {
  it('finds the jobs of that state behind 1,000 newer ones, and counts only them', async () => {
    const ledger = openLedger({ root: served.root });
    const at = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
    for (let i = 0; i < 3; i++)
      ledger.recordState(`broke_${i}`, { state: 'failed', at: at(i) }, { queue: 'other' });
    for (let i = 0; i < 1000; i++)
      ledger.recordState(`done_${i}`, { state: 'succeeded', at: at(10 + i) }, { queue: 'other' });
    // The ledger says "failed", the folder is ready again (retried): shown and counted as ready, not failed.
    ledger.recordState('again', { state: 'failed', at: at(5) }, { queue: 'other' });
    ledger.close();
    await publishManyUnsynced(join(served.root, 'queues', 'other'), ['again', 'new_1']);

    const failed = await list('state=failed');
    expect(failed.jobs.map((j) => j.job_id).sort()).toEqual(['broke_0', 'broke_1', 'broke_2']);
    expect(failed.total).toBe('3');
    const ready = await list('state=ready');
    expect(ready.jobs.map((j) => j.job_id).sort()).toEqual(['again', 'new_1']);
    expect(ready.total).toBe('2');
    const succeeded = await list('state=succeeded&limit=10');
    expect(succeeded.jobs).toHaveLength(10);
    expect(succeeded.jobs.every((j) => j.state === 'succeeded')).toBe(true);
    expect(succeeded.total).toBe('1000');
    const all = await list('limit=5');
    expect(all.total).toBe('1005');
    // A state no job is in (and a folder-only one): none, counted 0.
    expect(await list('state=cancelled')).toEqual({ jobs: [], total: '0' });
    expect(await list('state=tmp')).toEqual({ jobs: [], total: '0' });
  });
});
