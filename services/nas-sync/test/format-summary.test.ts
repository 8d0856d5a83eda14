import { expect, it } from 'vitest';
import type { PassSummary } from '@imk/sync';
import { formatSummary, summaryExitCode } from '../src/index.ts';

type Outcome = PassSummary['outcomes'][number];

// A failed transfer of this pass, as run-transfers reports it: `final` when it is not tried again.
const failedOutcome = (artifact: string, final: boolean, errorCode: string): Outcome =>
  ({
    transfer: { jobId: 'job', artifact: { path: artifact }, backend: 'nas' },
    status: 'failed',
    final,
    errorCode,
    error: 'it failed',
    ms: 1,
  }) as unknown as Outcome;

const summary = (over: Partial<PassSummary>): PassSummary => ({
  jobs: 1,
  transfers: 0,
  alreadyDelivered: 0,
  delivered: 0,
  failed: 0,
  failedFinal: 0,
  waiting: 0,
  unrouted: 0,
  unroutedFailed: 0,
  skipped: 0,
  invalidManifests: 0,
  leftOut: 0,
  notListed: 0,
  unsendable: 0,
  outcomes: [],
  dryRun: false,
  ...over,
});

it('the --once summary counts each failure once: for good (this pass, the plan, earlier passes) or to be retried', () => {
  // The engine's counts: failed = this pass's failures (final or not), failedFinal = the final ones of this
  // pass plus those the plan found failed for good (an earlier pass's, a conflict: fail).
  const outcomes = [
    failedOutcome('files/audio/final.m4a', true, 'LOCAL_MISMATCH'),
    failedOutcome('files/audio/again.m4a', false, 'UNREACHABLE'),
  ];
  const line = formatSummary(summary({ delivered: 1, failed: 2, failedFinal: 3, waiting: 1, outcomes }))
    .split('\n')
    .at(-1);
  expect(line).toBe(
    'nas-sync: 1 delivered, 0 already delivered, 4 failed (3 for good, 1 will be retried), 1 waiting to retry, 0 unrouted (1 jobs)',
  );

  // One final failure is one failure, not "1 failed, …, 1 failed for good".
  const one = formatSummary(summary({ failed: 1, failedFinal: 1, outcomes: outcomes.slice(0, 1) }));
  expect(one).toContain('1 failed (1 for good, 0 will be retried)');
  expect(one.match(/for good/g)).toHaveLength(1);
  expect(summaryExitCode(summary({ failed: 1, failedFinal: 1, outcomes: outcomes.slice(0, 1) }))).toBe(2);
});
