import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { publishManyUnsynced } from '../../../packages/fsqueue/test/helpers.ts';
import { servedTempRoot } from './helpers.ts';

// The jobs list is cut (/api/jobs at 300 unless asked, the overview at 100) and said nothing of it: 5,000
// waiting jobs looked like 300. Now /api/jobs says how many there are (X-Total-Count) and the overview's
// snapshot too (jobsTotal), as the library says "the newest 50 of N". A job both in the ledger and in a
// queue folder is counted once.
const served = servedTempRoot();

describe('the jobs list cut at its limit', () => {
  it('says how many jobs there are', async () => {
    const ledger = openLedger({ root: served.root });
    for (const id of ['done1', 'done2', 'w1'])
      ledger.recordState(id, { state: id === 'w1' ? 'ready' : 'succeeded' }, { queue: 'other' });
    ledger.close();
    await publishManyUnsynced(join(served.root, 'queues', 'other'), ['w1', 'w2', 'w3', 'w4']);

    const response = await fetch(`${served.web.url}/api/jobs?limit=2`);
    expect(((await response.json()) as unknown[]).length).toBe(2);
    expect(response.headers.get('x-total-count')).toBe('6');
    const all = await fetch(`${served.web.url}/api/jobs`);
    expect(((await all.json()) as unknown[]).length).toBe(6);
    expect(all.headers.get('x-total-count')).toBe('6');
    const status = (await (await fetch(`${served.web.url}/api/status`)).json()) as { jobsTotal: number };
    expect(status.jobsTotal).toBe(6);
  });
});
