// Timing and summarising helpers of the sync benchmark.

export const MiB = 1024 * 1024;

export interface Measure {
  tool: string;
  seconds: number;
  mibPerSec: number;
}

export const measure = (tool: string, bytes: number, seconds: number): Measure => ({
  tool,
  seconds: Number(seconds.toFixed(3)),
  mibPerSec: Number((bytes / MiB / seconds).toFixed(1)),
});

export async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

export interface Summary {
  tool: string;
  /** Median over the rounds. */
  mibPerSec: number;
  best: number;
  rounds: number[];
}

export function summarize(measures: Measure[]): Summary {
  const rounds = measures.map((m) => m.mibPerSec);
  const sorted = [...rounds].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    tool: measures[0]?.tool ?? '',
    mibPerSec: Number(median.toFixed(1)),
    best: Math.max(...rounds),
    rounds,
  };
}
