import { ImkError, isImkError } from '@imk/errors';
import type { Ledger, StageOutcome } from '@imk/ledger';
import './errors.ts';

/** The stages a job goes through, in order; timings and failures are reported under these names. */
export const STAGES = [
  'options',
  'hash',
  'decode',
  'separate',
  'mix',
  'encode',
  'manifest',
  'publish',
] as const;
export type Stage = (typeof STAGES)[number];

export type ReportProgress = (fraction: number) => void;

/**
 * Runs a job's stages one after another: remembers which one is current (a failure is reported under
 * it), times each, records it in the ledger and publishes live progress.
 */
export class StageRunner {
  readonly timings: Record<string, number> = {};
  current: Stage | 'claim' = 'claim';
  private outcome: StageOutcome = 'ok';
  private started = performance.now();

  constructor(
    private readonly ledger: Ledger,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly consumer: string,
    /** The job's own signal: a stage that ends because it was aborted is `stopped`, not `failed`. */
    private readonly signal?: AbortSignal,
  ) {}

  /** Marks the running stage's outcome, e.g. `cache_hit` for a separate stage that ran no engine. */
  mark(outcome: StageOutcome): void {
    this.outcome = outcome;
  }

  /** Seconds the running stage has taken so far (the manifest stage reports itself before it ends). */
  elapsedSec(): number {
    return (performance.now() - this.started) / 1000;
  }

  async run<T>(stage: Stage, work: (progress: ReportProgress) => Promise<T>): Promise<T> {
    this.current = stage;
    this.outcome = 'ok';
    const startedAt = new Date().toISOString();
    const started = performance.now();
    this.started = started;
    const progress: ReportProgress = (fraction) => {
      this.ledger.setProgress(this.jobId, {
        stage,
        fraction,
        attempt: this.attempt,
        consumer: this.consumer,
      });
    };
    progress(0);
    const finish = (outcome: StageOutcome) => {
      const seconds = (performance.now() - started) / 1000;
      this.timings[stage] = (this.timings[stage] ?? 0) + seconds;
      this.ledger.recordStage(this.jobId, {
        stage,
        attempt: this.attempt,
        startedAt,
        durationSec: seconds,
        outcome,
      });
    };
    try {
      const result = await work(progress);
      finish(this.outcome);
      return result;
    } catch (error) {
      // A cancel (or a shutdown, a lost claim) ends the stage through its signal, or (a cancel seen by the
      // publish stage's last look, before the job's signal heard of it) by CANCELLED: the stage did not fail.
      finish(this.signal?.aborted === true || isImkError(error, 'CANCELLED') ? 'stopped' : 'failed');
      throw error;
    }
  }
}

/** What one stage does to a job's state; a result ends the job there (e.g. outputs already published). */
export interface StageStep<S, R> {
  /** True when this job has nothing to do in this stage (not run, timed or recorded). */
  skip?: (state: S) => boolean;
  run: (state: S, progress: ReportProgress) => Promise<R | undefined>;
}

/** One function per stage of STAGES: a stage without one is a type error, and refused by runStages. */
export type StageSteps<S, R> = Record<Stage, StageStep<S, R>>;

/**
 * Runs the steps in STAGES order, each through the runner (timed, recorded, its failures reported under its
 * name), until one returns the job's result. A stop asked between two stages is honoured before the next.
 */
export async function runStages<S, R>(
  runner: StageRunner,
  steps: StageSteps<S, R>,
  state: S,
  signal: AbortSignal,
  jobId: string,
): Promise<R> {
  checkSteps(steps);
  for (const stage of STAGES) {
    const step = steps[stage];
    if (step.skip?.(state)) continue;
    if (signal.aborted) throw new ImkError('ABORTED', `job ${jobId} was stopped before its ${stage} stage`);
    const result = await runner.run(stage, (progress) => step.run(state, progress));
    if (result !== undefined) return result;
  }
  throw new ImkError('STAGES_INVALID', `job ${jobId}: the ${STAGES.at(-1)} stage gave no result`);
}

/** The steps name exactly the stages of STAGES (a JavaScript caller, or a cast, could get this wrong). */
export function checkSteps(steps: Partial<Record<string, unknown>>): void {
  const missing = STAGES.filter((stage) => typeof steps[stage] !== 'object' || steps[stage] === null);
  const unknown = Object.keys(steps).filter((name) => !(STAGES as readonly string[]).includes(name));
  if (missing.length > 0 || unknown.length > 0)
    throw new ImkError(
      'STAGES_INVALID',
      `the stage steps do not match STAGES (${STAGES.join(', ')}):` +
        (missing.length > 0 ? ` no step for ${missing.join(', ')};` : '') +
        (unknown.length > 0 ? ` not a stage: ${unknown.join(', ')};` : ''),
    );
}
