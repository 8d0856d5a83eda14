import type { Database } from 'better-sqlite3';

export interface ProgressUpdate {
  stage: string;
  /** 0..1 */
  fraction: number;
  attempt?: number;
  consumer?: string;
}

interface Last {
  at: number;
  stage: string;
  percent: number;
}

/**
 * Writes live progress rows, at most one per job every `intervalMs` (a stage change, and reaching 100 %,
 * always write), so a fast progress callback cannot turn into thousands of SQLite transactions.
 */
export function createProgressWriter(db: Database, intervalMs: number) {
  const upsert = db.prepare(`
    INSERT INTO progress (job_id, stage, percent, attempt, consumer, updated_at)
    VALUES (@job_id, @stage, @percent, @attempt, @consumer, @updated_at)
    ON CONFLICT(job_id) DO UPDATE SET stage = excluded.stage, percent = excluded.percent,
      attempt = excluded.attempt, consumer = excluded.consumer, updated_at = excluded.updated_at`);
  const last = new Map<string, Last>();

  return {
    set(jobId: string, update: ProgressUpdate): boolean {
      const percent = Math.round(Math.min(1, Math.max(0, update.fraction)) * 1000) / 10;
      const now = performance.now();
      const previous = last.get(jobId);
      const due =
        previous === undefined ||
        previous.stage !== update.stage ||
        (percent >= 100 && previous.percent < 100) ||
        (now - previous.at >= intervalMs && percent !== previous.percent);
      if (!due) return false;
      upsert.run({
        job_id: jobId,
        stage: update.stage,
        percent,
        attempt: update.attempt ?? null,
        consumer: update.consumer ?? null,
        updated_at: new Date().toISOString(),
      });
      last.set(jobId, { at: now, stage: update.stage, percent });
      return true;
    },
    forget(jobId: string): void {
      last.delete(jobId);
    },
  };
}
