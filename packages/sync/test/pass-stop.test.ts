// A pass when its service is stopped (Ctrl-C, SIGTERM): `stopping` aborts first, and no transfer starts any
// more; those under way go on until `signal` aborts (the service's grace period). Before, the stop aborted
// the transfers at once and recorded each as failed (ABORTED, an attempt counted); a tool the Ctrl-C killed
// failed its transfer the same way. Now a transfer stopped, or failed once the stop came, writes no receipt
// and is due again at the next pass. A real local backend; its put is held by the test until it says.
import { describe, expect, it } from 'vitest';
import {
  createBackend,
  createSyncEngine,
  syncError,
  type SyncBackend,
  type TransferOutcome,
} from '../src/index.ts';
import { engineFixtures, engineOptions, outputs, receipts } from './engine-kit.ts';
import { audioJob, writeJob } from './fixtures.ts';

engineFixtures();

/** An engine whose puts each wait for `gate` first (and say they started); `fail` makes them fail after it. */
function heldEngine(gate: Promise<void>, fail = false) {
  let started!: () => void;
  const putStarted = new Promise<void>((resolve) => (started = resolve));
  const puts: string[] = [];
  const engine = createSyncEngine(
    engineOptions({
      concurrency: 1,
      createBackend: (backendOptions, context): SyncBackend => {
        const backend = createBackend(backendOptions, context);
        return {
          ...backend,
          put: async (request) => {
            puts.push(request.remotePath);
            started();
            await gate;
            if (fail) throw syncError('TRANSFER_FAILED', 'rsync exited with code 20: received SIGINT');
            if (request.signal?.aborted) throw syncError('ABORTED', 'copy was stopped');
            return backend.put(request);
          },
        };
      },
    }),
  );
  return { engine, putStarted, puts };
}

const states = () => [...receipts.all().values()].map((r) => [r.jobId, r.status, r.attempts]);
const said = (outcomes: TransferOutcome[]) =>
  outcomes.map((o) => [o.transfer.jobId, o.status, o.error ?? '']);

describe('a pass stopped while a transfer runs', () => {
  it('lets the transfer under way finish, starts no other, and writes no receipt for the one not started', async () => {
    await writeJob(outputs, audioJob('first'));
    await writeJob(outputs, audioJob('second'));
    let open!: () => void;
    const { engine, putStarted, puts } = heldEngine(new Promise((resolve) => (open = resolve)));
    const stopping = new AbortController();
    const grace = new AbortController();
    const pass = engine.runPass({ signal: grace.signal, stopping: stopping.signal });
    await putStarted;
    stopping.abort();
    open();
    const summary = await pass;
    await engine.close();
    expect(puts).toHaveLength(1);
    expect(summary).toMatchObject({ delivered: 1, failed: 0 });
    expect(states()).toEqual([[summary.outcomes[0]?.transfer.jobId, 'delivered', 1]]);
  });

  it('a transfer stopped at the end of the grace period: no receipt, no attempt, said why', async () => {
    await writeJob(outputs, audioJob('first'));
    let open!: () => void;
    const { engine, putStarted } = heldEngine(new Promise((resolve) => (open = resolve)));
    const stopping = new AbortController();
    const grace = new AbortController();
    const pass = engine.runPass({ signal: grace.signal, stopping: stopping.signal });
    await putStarted;
    stopping.abort();
    grace.abort();
    open();
    const summary = await pass;
    await engine.close();
    expect(summary).toMatchObject({ delivered: 0, failed: 0 });
    expect(said(summary.outcomes)).toEqual([
      ['first', 'skipped', 'stopped by the shutdown before it finished; it is sent again at the next pass'],
    ]);
    expect(states()).toEqual([]);
  });

  it('a transfer that fails once the stop came (its tool may have had the Ctrl-C): no receipt, no attempt', async () => {
    await writeJob(outputs, audioJob('first'));
    let open!: () => void;
    const { engine, putStarted } = heldEngine(new Promise((resolve) => (open = resolve)), true);
    const stopping = new AbortController();
    const pass = engine.runPass({ signal: new AbortController().signal, stopping: stopping.signal });
    await putStarted;
    stopping.abort();
    open();
    const summary = await pass;
    await engine.close();
    expect(summary).toMatchObject({ delivered: 0, failed: 0 });
    expect(said(summary.outcomes)[0]?.[2]).toMatch(
      /^failed while the service was stopping \(rsync exited with code 20: received SIGINT\); not counted .*sent again at the next pass$/,
    );
    expect(states()).toEqual([]);
  });

  it('with no stop, the same failure is recorded as before (an attempt counted)', async () => {
    await writeJob(outputs, audioJob('first'));
    const { engine } = heldEngine(Promise.resolve(), true);
    const summary = await engine.runPass({ signal: new AbortController().signal });
    await engine.close();
    expect(summary).toMatchObject({ delivered: 0, failed: 1 });
    expect(states()).toEqual([['first', 'failed', 1]]);
  });
});
