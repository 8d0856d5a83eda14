import { join } from 'node:path';
import { ImkError, isImkError } from '@imk/errors';
import { cancelJob, readArchiveOutcome, waitForCancel, type CancelOutcome } from '@imk/fsqueue';
import { openLedger, recordQueuedCancel } from '@imk/ledger';
import { contextFrom, print } from '../context.ts';
import { locateJob } from './job.ts';
import '../errors.ts';

interface CancelOptions {
  root?: string;
  reason?: string;
  wait: string;
}

/** `imk cancel <id>` */
export async function cancelCommand(id: string, options: CancelOptions): Promise<void> {
  const { paths } = contextFrom(options);
  const waitSec = Number(options.wait);
  if (!Number.isFinite(waitSec) || waitSec < 0)
    throw new ImkError('INVALID_ARGUMENT', `--wait must be a number of seconds, got "${options.wait}"`);
  const found = await locateJob(paths.queues, id);
  if (!found) throw new ImkError('JOB_NOT_FOUND', `no job "${id}" in any queue under ${paths.queues}`);
  const queueDir = join(paths.queues, found.queue);
  const outcomes = await cancelJob(queueDir, id, { reason: options.reason, by: 'imk cancel' }).catch(
    async (error: unknown) => {
      // Finished already (maybe just now, while the request was being written): where its outputs are.
      if (!isImkError(error, 'JOB_NOT_CANCELLABLE') || error.details.state !== 'succeeded') throw error;
      const outputs = await succeededOutputs(String(error.details.dir), paths.outputs, id);
      throw new ImkError('JOB_NOT_CANCELLABLE', `${error.message}. ${outputs.said}`, {
        details: { ...error.details, outputs: outputs.dir },
        cause: error,
      });
    },
  );
  for (const outcome of outcomes)
    print(await settle(queueDir, outcome, waitSec * 1000, paths.root, found.queue, paths.outputs));
}

/** Says what became of one cancelled folder; a ready job's cancel goes into the ledger here (a worker records its own). */
async function settle(
  queueDir: string,
  outcome: CancelOutcome,
  waitMs: number,
  root: string,
  queue: string,
  outputsDir: string,
): Promise<string> {
  const { jobId } = outcome;
  if (outcome.state === 'cancelled') {
    const ledger = openLedger({ root });
    try {
      // The archive's own line (who, and the reason given) and the song's tags, as the dashboard records it.
      await recordQueuedCancel(ledger, outcome, queue);
    } finally {
      ledger.close();
    }
    return `job ${jobId} was queued; it is cancelled and kept in ${outcome.dir}`;
  }
  if (waitMs === 0)
    return `job ${jobId} is running; its worker was asked to stop it (it notices within about a second)`;
  const where = await waitForCancel(queueDir, outcome.dir, waitMs);
  if (where.state === 'cancelled') {
    // A bundle of several songs stopped after some were published: those are kept, and said.
    const { reason } = await readArchiveOutcome({ state: 'cancelled', dir: where.dir });
    const published = stringsOf(reason?.published);
    return published.length > 0
      ? `job ${jobId} was running; it is stopped and kept in ${where.dir}. Published before the cancel, and kept: ${published.join(', ')}`
      : `job ${jobId} was running; it is stopped, nothing was published, and it is kept in ${where.dir}`;
  }
  if (where.state === 'requested')
    return `job ${jobId}: cancel requested (${where.dir}); its worker has not stopped it yet, it will when it next looks`;
  // Its outputs were renamed into place (one rename, the point of no return) before the cancel was seen:
  // where they are is what the user needs.
  const details = { job_id: jobId, state: where.state, dir: where.dir };
  if (where.state !== 'succeeded')
    throw new ImkError(
      'CANCEL_TOO_LATE',
      `job ${jobId} ended as ${where.state} before its worker saw the cancel (${where.dir})`,
      { details },
    );
  const outputs = await succeededOutputs(where.dir, outputsDir, jobId);
  throw new ImkError(
    'CANCEL_TOO_LATE',
    `job ${jobId} was already published when its worker saw the cancel, too late to stop it: it succeeded (its bundle in ${where.dir}). ${outputs.said}`,
    { details: { ...details, outputs: outputs.dir } },
  );
}

/**
 * Where a succeeded job's outputs are (its holder's imk-result.json `info.output_dir`, else
 * outputs/<job_id>/), and the sentence that says it with what to do: a cancel cannot take them back.
 */
async function succeededOutputs(
  archiveDir: string,
  outputsDir: string,
  jobId: string,
): Promise<{ dir: string; said: string }> {
  const { result } = await readArchiveOutcome({ state: 'succeeded', dir: archiveDir });
  const dir = outputDirOf(result) ?? join(outputsDir, jobId);
  return {
    dir,
    said: `Its outputs are in ${dir}; remove that folder yourself if the song should not be in the library`,
  };
}

/** The strings of a JSON value that should be a list of them (an outcome file is read untrusted). */
function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The output folder a succeeded job's holder recorded (imk-result.json `info.output_dir`), if any. */
function outputDirOf(result: Record<string, unknown> | undefined): string | undefined {
  const info = result?.info;
  const dir =
    typeof info === 'object' && info !== null ? (info as Record<string, unknown>).output_dir : undefined;
  return typeof dir === 'string' ? dir : undefined;
}
