import type { Ledger, StageOutcome } from '@imk/ledger';

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
      finish('failed');
      throw error;
    }
  }
}
