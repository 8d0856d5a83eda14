import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { openLedger, type Ledger } from '@imk/ledger';
import { STAGES, StageRunner, checkSteps, runStages, type Stage, type StageSteps } from './stage-runner.ts';

let root: string;
let ledger: Ledger;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-stages-'));
  ledger = openLedger({ root });
  ledger.recordState(
    'j',
    { state: 'running', attempt: 1, consumer: 'c', message: 'claimed' },
    { queue: 'other' },
  );
});
afterEach(async () => {
  ledger.close();
  await rm(root, { recursive: true, force: true });
});

/** Steps that note each stage they ran; `skip` stages are skipped, `last` returns the result. */
function steps(ran: string[], skip: Stage[] = [], last: Stage = 'publish'): StageSteps<object, string> {
  const step = (stage: Stage) => ({
    skip: () => skip.includes(stage),
    run: () => {
      ran.push(stage);
      return Promise.resolve(stage === last ? `done after ${stage}` : undefined);
    },
  });
  return {
    options: step('options'),
    hash: step('hash'),
    decode: step('decode'),
    separate: step('separate'),
    mix: step('mix'),
    encode: step('encode'),
    manifest: step('manifest'),
    publish: step('publish'),
  };
}

const run = (s: StageSteps<object, string>, signal = new AbortController().signal) =>
  runStages(new StageRunner(ledger, 'j', 1, 'c'), s, {}, signal, 'j');

describe('runStages', () => {
  it('runs one step per stage in STAGES order, and the ledger records them in that order', async () => {
    const ran: string[] = [];
    expect(await run(steps(ran))).toBe('done after publish');
    expect(ran).toEqual([...STAGES]);
    expect(ledger.getJob('j')!.stages.map((s) => s.stage)).toEqual([...STAGES]);
  });

  it('skips the stages a job has nothing to do in, and ends at the step that gives the result', async () => {
    const ran: string[] = [];
    const skip: Stage[] = ['decode', 'separate', 'mix', 'encode'];
    expect(await run(steps(ran, skip))).toBe('done after publish');
    expect(ran).toEqual(['options', 'hash', 'manifest', 'publish']);
    const early: string[] = [];
    expect(await run(steps(early, [], 'hash'))).toBe('done after hash');
    expect(early).toEqual(['options', 'hash']);
  });

  it('refuses steps that do not match STAGES: a stage without a step, or a step for no stage', async () => {
    const { separate: _separate, ...missing } = steps([]);
    expect(() => checkSteps(missing)).toThrow(/no step for separate/);
    await expect(run(missing as StageSteps<object, string>)).rejects.toThrow(/no step for separate/);
    expect(() => checkSteps({ ...steps([]), normalize: { run: () => Promise.resolve(undefined) } })).toThrow(
      /not a stage: normalize/,
    );
    // Nothing ran and nothing was recorded: the mismatch is found before the first stage.
    expect(ledger.getJob('j')!.stages).toEqual([]);
  });

  it('stops before the next stage once the job is asked to stop, naming it', async () => {
    const ran: string[] = [];
    const controller = new AbortController();
    const s = steps(ran);
    const hash = s.hash;
    s.hash = { run: (state, progress) => (controller.abort(), hash.run(state, progress)) };
    const error: unknown = await run(s, controller.signal).catch((e: unknown) => e);
    expect(isImkError(error, 'ABORTED')).toBe(true);
    expect(String(error)).toMatch(/before its decode stage/);
    expect(ran).toEqual(['options', 'hash']);
  });
});
