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

// A dry run's due transfer, with what it found at its destination path (dry-run-look.ts).
const looked = (artifact: string, atDestination: Outcome['atDestination']): Outcome =>
  ({
    transfer: {
      jobId: 'job',
      artifact: { path: artifact },
      backend: 'nas',
      remotePath: `/nas/${artifact}`,
      bytes: 2048,
    },
    status: 'skipped',
    final: false,
    ms: 0,
    atDestination,
  }) as unknown as Outcome;

it('a dry run says what the pass would do at each path: send, take as delivered, settle a different file by nasSync.conflict', () => {
  const outcomes = [
    looked('files/audio/new.m4a', { found: 'nothing' }),
    looked('files/audio/same.m4a', { found: 'same' }),
    looked('files/audio/other.m4a', { found: 'different', bytes: 10 }),
  ];
  const fail = formatSummary(summary({ dryRun: true, alreadyDelivered: 2, conflict: 'fail', outcomes }));
  expect(fail.split('\n')).toEqual([
    'would send job/files/audio/new.m4a -> nas:/nas/files/audio/new.m4a (2 KiB)',
    'already there job/files/audio/same.m4a -> nas:/nas/files/audio/same.m4a (found with the same content: taken as delivered, not copied)',
    'would fail job/files/audio/other.m4a -> nas:/nas/files/audio/other.m4a: a different file (10 B) is there (nasSync.conflict: fail)',
    'dry run: 1 to send, 3 already delivered (1 found there with the same content, would not be copied again), 0 waiting to retry, 1 failed, 0 unrouted',
  ]);
  expect(summaryExitCode(summary({ dryRun: true, conflict: 'fail', outcomes }))).toBe(0);
  const replace = formatSummary(summary({ dryRun: true, conflict: 'replace', outcomes }));
  expect(replace).toContain(
    'would replace job/files/audio/other.m4a -> nas:/nas/files/audio/other.m4a (2 KiB): a different file (10 B) is there (nasSync.conflict: replace)',
  );
  expect(replace).toContain('dry run: 2 to send, 1 already delivered');

  const away = formatSummary(
    summary({
      dryRun: true,
      outcomes: [
        looked('files/audio/new.m4a', { found: 'unknown', error: 'connect ECONNREFUSED 127.0.0.1:22' }),
      ],
    }),
  );
  expect(away).toContain(
    'would send job/files/audio/new.m4a -> nas:/nas/files/audio/new.m4a (2 KiB); could not look there: connect ECONNREFUSED 127.0.0.1:22',
  );
  expect(away).toContain('dry run: 1 to send, 0 already delivered, 0 waiting to retry, 0 failed');
});
