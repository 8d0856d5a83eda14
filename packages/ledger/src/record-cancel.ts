import type { CancelOutcome } from '@imk/fsqueue';
import { readJobJson } from '@imk/protocol';
import type { Ledger } from './ledger.ts';
import type { JobFacts } from './types.ts';

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Records a job cancelled before any worker started it (cancelJob's `cancelled` outcome): the one history
 * line `imk cancel` and the dashboard both write, imk-cancel.json's own line (who asked, and the reason)
 * with the archive it is kept in, and the song's tags read from the archived job.json, so that
 * `imk job` and the dashboard name the song of a job no worker ever saw. (A running job's cancel is
 * recorded by its worker.)
 */
export async function recordQueuedCancel(
  ledger: Ledger,
  outcome: Pick<CancelOutcome, 'jobId' | 'dir' | 'message'>,
  queue: string,
): Promise<void> {
  const job = await readJobJson(outcome.dir).catch(() => undefined);
  const fields = typeof job === 'object' && job !== null ? (job as Record<string, unknown>) : {};
  const facts: JobFacts = {
    queue,
    sourceType: text(fields.source_type),
    artist: text(fields.artist),
    album: text(fields.album),
    title: text(fields.title),
  };
  ledger.recordState(
    outcome.jobId,
    { state: 'cancelled', message: `${outcome.message ?? 'cancelled before it started'} (${outcome.dir})` },
    facts,
  );
}
