import { mkdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError, errorMessage, isImkError } from '@imk/errors';
import { bundleSongs, jobLabel, jobWorkDirName } from '@imk/protocol';
import type { Claim } from '@imk/fsqueue';
import type { JobFacts } from '@imk/ledger';
import type { WorkerContext } from './context.ts';
import { cancelClaim } from './cancel-claim.ts';
import { backoffMs, describeFailure, isRetryable } from './failures.ts';
import { waitEnded, waitFor, waitedAtLeastMs } from './job-wait.ts';
import { runPipeline, type PipelineResult } from './pipeline.ts';
import { refuseBusyOutputs } from './publish-outputs.ts';
import { runRemix } from './remix.ts';
import { StageRunner } from './stage-runner.ts';

export type JobStatus =
  'succeeded' | 'duplicate' | 'resumed' | 'retry' | 'failed' | 'released' | 'lost' | 'cancelled';

export interface JobOutcome {
  jobId: string;
  queue: string;
  status: JobStatus;
  attempt: number;
  stage?: string;
  message?: string;
  outputDir?: string;
  timings?: Record<string, number>;
  /** From job.json, for messages about the job (notifications). */
  artist?: string;
  title?: string;
  /** The error's code when the job failed. */
  errorCode?: string;
}

/** How often a running job looks whether its claim was lost (then its work stops and is discarded). */
const LOST_CHECK_MS = 1000;

/**
 * Processes one claimed job to the end: runs the pipeline, publishes, archives the claim, and records
 * every step in the ledger. Never throws for a job's own failure: it is retried (with backoff) or failed
 * with its error file, and the worker goes on. A lost claim's work is discarded; an abort (shutdown
 * after the grace period) releases the job to ready without counting an attempt. So does a failure once
 * `stopping` is aborted (a stop was asked, the job was let finish): a tool being started at the instant of
 * a Ctrl-C is still in imk's process group and dies by it, a failure that cannot be told from the job's own.
 */
export async function processClaim(
  ctx: WorkerContext,
  claim: Claim,
  signal: AbortSignal,
  stopping?: AbortSignal,
): Promise<JobOutcome> {
  const { jobId, attempt, job } = claim;
  const queue = claim.queue;
  const logger = ctx.logger.child({ job_id: jobId, attempt, queue });
  const consumer = ctx.consumerId;
  const facts: JobFacts = {
    queue,
    sourceType: job.source_type,
    artist: job.artist,
    album: job.album,
    title: job.title,
  };
  // The job's own signal: shutdown (after the grace period), a lost claim or a cancel stop its work early.
  const job_ = new AbortController();
  let stages = new StageRunner(ctx.ledger, jobId, attempt, consumer, job_.signal);
  const base = { jobId, queue, attempt, artist: job.artist ?? undefined, title: job.title ?? undefined };
  const running = () =>
    ctx.ledger.recordState(
      jobId,
      { state: 'running', attempt, consumer, message: `claimed from ${queue}` },
      facts,
    );
  // A job waiting for another program to finish its outputs folder looks at that first (below); it is
  // running only once that is done. Each look said "running" then "retrying": about 2,900 lines of history
  // for a day's wait. The wait is one "waiting" line now, updated at each look (settleFailure).
  const looking = !job.remix && claim.waiting?.for === 'OUTPUTS_BEING_WRITTEN';
  if (!looking) {
    running();
    logger.info('job started');
  } else
    // A look that finds the folder still busy is said at debug: the service log says the wait once, when it
    // begins, and again when it ends (below, or "job failed" when it is given up): not a line each look.
    logger.debug('job looks at its outputs folder again');
  const work = join(ctx.workRoot, jobWorkDirName(jobId, consumer));
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const onShutdown = () => job_.abort(signal.reason);
  signal.addEventListener('abort', onShutdown, { once: true });
  const lostWatch = setInterval(() => {
    if (claim.isLost()) job_.abort(new Error(`the claim on job ${jobId} was lost`));
    else if (claim.cancelRequested()) job_.abort(new ImkError('CANCELLED', `job ${jobId} was cancelled`));
  }, LOST_CHECK_MS);
  // The song being made (a legacy audio_files bundle is several): a failure names it.
  let current: FailedSong = { jobId, artist: job.artist, title: job.title };
  // Output folders already renamed into place (the songs of a bundle made so far): a cancel after them
  // stops the rest, and says these are kept.
  const published: string[] = [];
  try {
    // A legacy audio_files bundle is several songs: each is published under its own id (<id>, <id>-2, …).
    // A remix (a mix saved from the page's mixer) has no audio of its own: one "song", made from cached stems.
    const songs = job.remix ? [{ index: 1, job, warnings: [] }] : await bundleSongs(claim.dir, job);
    let result: PipelineResult | undefined;
    for (const song of songs) {
      const songId = song.job.job_id;
      current = {
        jobId: songId,
        artist: song.job.artist,
        title: song.job.title,
        ...(songs.length > 1 && { index: song.index, of: songs.length }),
      };
      if (song.index > 1) {
        stages = new StageRunner(ctx.ledger, songId, attempt, consumer, job_.signal);
        ctx.ledger.recordState(
          songId,
          { state: 'running', attempt, consumer, message: `song ${song.index} of job ${jobId}` },
          { ...facts, artist: song.job.artist, album: song.job.album, title: song.job.title },
        );
      }
      // A job waiting for another program to finish its outputs folder looks at that first: each look costs
      // a listing of the folder, not a separation.
      if (looking) {
        await refuseBusyOutputs(ctx.paths.outputs, songId);
        if (song.index === 1) {
          running();
          // How long it waited, at the least, by its looks: not now − since (another host's clock).
          const { waitCheckMs } = ctx.config.retry;
          logger.info(
            {
              waited_at_least_ms: waitedAtLeastMs(claim, waitCheckMs),
              looks: (claim.waiting?.looks ?? 0) + 1,
            },
            waitEnded(claim, waitCheckMs),
          );
          // The job runs now: if it finds the folder busy again when it publishes, that is a second wait
          // (its own line of history, since then), not the first one going on.
          claim.waitOver();
        }
      }
      const songWork = songs.length === 1 ? work : join(work, `song-${song.index}`);
      await mkdir(songWork, { recursive: true });
      const run = { ctx, claim, stages, signal: job_.signal, logger, work: songWork };
      const made = job.remix ? await runRemix(run, job.remix) : await runPipeline({ ...run, song, stopping });
      published.push(made.dir);
      if (song.index > 1) {
        ctx.ledger.recordArtifacts(songId, made.manifest.artifacts);
        ctx.ledger.recordState(
          songId,
          { state: 'succeeded', attempt, consumer, message: `outputs published in ${made.dir}` },
          { inputSha256: made.inputSha256, outputDir: made.dir },
        );
      }
      result ??= made;
    }
    if (result === undefined) throw new ImkError('INVALID_INPUT', `job ${jobId} names no audio to process`);
    // The outputs are in place (one rename, manifest inside): a cancel asked for since is too late to stop
    // the job. It succeeds, and says so (the ledger, so the dashboard and `imk job` show it; the log).
    await claim.confirm();
    const lateCancel = claim.cancelRequested()
      ? `; a cancel asked for after its outputs were published came too late: they are kept in ${result.dir}`
      : '';
    if (lateCancel !== '')
      logger.warn(
        { dir: result.dir },
        'cancel asked for after the outputs were published; too late, the job succeeds',
      );
    await claim.complete({
      output_dir: result.dir,
      kind: result.kind,
      duplicate_of: result.manifest.duplicate_of,
      ...(songs.length > 1 && { songs: songs.map((song) => song.job.job_id) }),
    });
    ctx.ledger.recordArtifacts(jobId, result.manifest.artifacts);
    const message =
      result.kind === 'duplicate'
        ? `duplicate of ${result.manifest.duplicate_of}; outputs linked`
        : result.kind === 'resumed'
          ? 'outputs were already published by an earlier attempt'
          : `outputs published in ${result.dir}`;
    ctx.ledger.recordState(
      jobId,
      { state: 'succeeded', attempt, consumer, message: message + lateCancel },
      {
        inputSha256: result.inputSha256,
        outputDir: result.dir,
        duplicateOf: result.manifest.duplicate_of,
      },
    );
    logger.info({ dir: result.dir, kind: result.kind, timings: stages.timings }, 'job succeeded');
    const status = result.kind === 'processed' ? 'succeeded' : result.kind;
    return { ...base, status, outputDir: result.dir, timings: stages.timings };
  } catch (error) {
    return await settleFailure(ctx, claim, stages, error, signal, logger, current, published, stopping);
  } finally {
    clearInterval(lostWatch);
    signal.removeEventListener('abort', onShutdown);
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function settleFailure(
  ctx: WorkerContext,
  claim: Claim,
  stages: StageRunner,
  error: unknown,
  signal: AbortSignal,
  logger: WorkerContext['logger'],
  song: FailedSong,
  published: string[],
  stopping: AbortSignal | undefined,
): Promise<JobOutcome> {
  const { jobId, attempt } = claim;
  const queue = claim.queue;
  const base = {
    jobId,
    queue,
    attempt,
    stage: stages.current,
    artist: claim.job.artist ?? undefined,
    title: claim.job.title ?? undefined,
  };
  const consumer = ctx.consumerId;
  // A job's partial folder was already discarded by runPipeline or runRemix under the claim on that job's
  // outputs; discarding it again here, by name, after the claim was released, could remove the folder of
  // a mix of this job begun meanwhile on this worker (same name).

  if (claim.isLost()) {
    logger.warn('claim lost (lease expired or the job was moved); work discarded');
    ctx.ledger.recordState(jobId, {
      state: 'released',
      attempt,
      consumer,
      stage: stages.current,
      message: 'claim lost; work discarded',
    });
    return { ...base, status: 'lost', message: 'claim lost' };
  }
  // Asked to stop (imk cancel, the dashboard): partial outputs are gone (above), nothing more is published.
  // A bundle's songs published before the cancel are kept, and said (published).
  if (claim.cancelRequested()) return cancelClaim(ctx, claim, stages, logger, published);
  if (isImkError(error, 'CLAIM_LOST')) {
    logger.warn('claim lost (the job was moved); work discarded');
    ctx.ledger.recordState(jobId, {
      state: 'released',
      attempt,
      consumer,
      stage: stages.current,
      message: 'claim lost; work discarded',
    });
    return { ...base, status: 'lost', message: 'claim lost' };
  }
  if (signal.aborted || stopping?.aborted === true) {
    // After a stop was asked, a failure is not counted either: it may be the Ctrl-C itself (above).
    const failedMeanwhile = signal.aborted
      ? ''
      : `; it failed as the worker stopped (${errorMessage(error)})`;
    try {
      await claim.release();
      ctx.ledger.recordState(jobId, {
        state: 'released',
        attempt,
        consumer,
        stage: stages.current,
        message: `released at shutdown${failedMeanwhile}, to be tried again without counting this attempt`,
      });
      logger.info(
        { ...(failedMeanwhile !== '' && { err: errorMessage(error) }) },
        'job released to ready at shutdown',
      );
      return { ...base, status: 'released' };
    } catch (releaseError) {
      logger.error(
        { err: describeFailure(releaseError).message },
        'could not release the job; its lease will expire',
      );
      return { ...base, status: 'lost', message: describeFailure(releaseError).message };
    }
  }

  const bundleDirs = [claim.dir, await realpath(claim.dir).catch(() => claim.dir)];
  const described = describeFailure(error, bundleDirs);
  const { code } = described;
  // The error file, the ledger (the dashboard) and the log say which job (and song) failed, not only which
  // file: a user reading any of them alone must know what to look at and what to run again.
  // A remix's own errors begin "remix <id>: …" (naming the job it mixes too): not said twice.
  const message = described.message.startsWith(`remix ${jobId}: `)
    ? described.message
    : `${failedJobLabel(jobId, song, claim.job.remix ? 'remix' : 'job')}: ${described.message}`;
  const { backoffMs: base_, maxBackoffMs } = ctx.config.retry;
  // Something outside the job is busy (the earlier version writing its outputs folder): the job waits,
  // given back without spending an attempt, until retry.maxWaitMs; then it fails like any other error.
  const wait = waitFor(ctx, claim, error);
  const failed = wait.gaveUp === undefined ? message : `${message} ${wait.gaveUp}`;
  const retryable = wait.gaveUp === undefined && isRetryable(error);
  // A wait is one error in the job's history (its first look), not one per look.
  if (!wait.release || wait.first)
    ctx.ledger.recordError(jobId, { stage: stages.current, message: failed, attempt, code, retryable });
  try {
    let outcome: 'retry' | 'failed';
    if (wait.release) {
      await claim.release(wait.release);
      outcome = 'retry';
    } else
      outcome = await claim.fail({
        stage: stages.current,
        message: failed,
        retryable,
        retryDelayMs: backoffMs(attempt, base_, maxBackoffMs),
      });
    const state = wait.release ? 'waiting' : outcome === 'retry' ? 'retrying' : 'failed';
    const said = wait.release ? `${wait.history}: ${message}` : failed;
    ctx.ledger.recordState(jobId, { state, attempt, consumer, stage: stages.current, message: said });
    // A later song of the bundle has its own ledger row: it no longer shows as running.
    if (song.jobId !== jobId)
      ctx.ledger.recordState(song.jobId, { state, attempt, consumer, stage: stages.current, message: said });
    // The wait is said once when it begins; each later look at debug (the wait's end is said by the look
    // that finds the folder done, processClaim, or by "job failed" when it is given up).
    if (wait.release)
      logger[wait.first ? 'warn' : 'debug'](
        {
          stage: stages.current,
          err: message,
          waited_at_least_ms: wait.waitedAtLeastMs,
          looks: wait.looks,
          max_wait_ms: ctx.config.retry.maxWaitMs,
        },
        wait.said,
      );
    else
      logger.warn(
        { stage: stages.current, err: failed, retryable, outcome },
        outcome === 'retry' ? 'job failed; will retry' : 'job failed',
      );
    const status = outcome === 'retry' ? 'retry' : 'failed';
    // The notification names the job itself (its title and message): the reason without the label.
    return { ...base, status, message: described.message, errorCode: code };
  } catch (failError) {
    const why = describeFailure(failError).message;
    ctx.ledger.recordState(jobId, {
      state: 'released',
      attempt,
      consumer,
      stage: stages.current,
      message: `could not archive: ${why}`,
    });
    logger.error(
      { err: why },
      'could not record the failure in the queue; the lease will expire and the job return',
    );
    return { ...base, status: 'lost', message: why };
  }
}

/** The song a failure happened in: the job itself, or one song of a legacy audio_files bundle. */
interface FailedSong {
  jobId: string;
  artist?: string | null;
  title?: string | null;
  index?: number;
  of?: number;
}

/**
 * How a failure names its job: `job <id> ("Artist - Title")`, and for one song of a several-song bundle
 * `job <id>, song 2 of 3 (<song id>, "Artist - Title")` (protocol's jobLabel, shared with rejections).
 */
export function failedJobLabel(jobId: string, song: FailedSong, noun: 'job' | 'remix' = 'job'): string {
  const { index, of } = song;
  return jobLabel(jobId, index !== undefined && of !== undefined ? { ...song, index, of } : song, noun);
}
