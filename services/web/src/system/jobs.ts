import type { ImkPaths } from '@imk/config';
import { errorMessage } from '@imk/errors';
import { cutText } from '@imk/fs-safe';
import { readJobJson } from '@imk/protocol';
import type { JobState } from '@imk/fsqueue';
import {
  openLedger,
  type JobDetail,
  LEDGER_STATES,
  type JobRow,
  type Ledger,
  type LedgerState,
  type ProgressRow,
} from '@imk/ledger';
import type { Logger } from '@imk/log';
import { apiText } from './api-text.ts';
import { createEngineFactsReader, type EngineFacts } from './engine-facts.ts';
import { findFolderJob, listFolderJobs, queueNames, type FolderJob } from './queue-folders.ts';

export interface JobSummary {
  job_id: string;
  queue: string | null;
  state: string;
  stage: string | null;
  attempts: number;
  artist: string | null;
  title: string | null;
  source_type: string | null;
  updated_at: string;
  progress: { stage: string; percent: number } | null;
  last_error: string | null;
  /** The engine (and model) that made the job's stems, from its manifest; null before it has one. */
  engine: EngineFacts | null;
}

export interface JobView {
  summary: JobSummary;
  job: Record<string, unknown> | undefined;
  folders: { queue: string; state: string; dir: string }[];
  ledger: Omit<JobDetail, 'job'> | undefined;
  /** imk-error.json or imk-rejection.json of an archived job. */
  folderError: unknown;
  /** Why job.json could not be shown (a FIFO, a link, too large, too deep). */
  jobProblem?: string;
}

export interface JobsView {
  list(options?: { state?: string; limit?: number }): Promise<JobSummary[]>;
  /**
   * list, with how many jobs it was cut from: the ledger's (in that state) and the waiting or running
   * jobs of the queues that it does not know yet (a job whose folder moved after the ledger's last word
   * is counted in the ledger's state).
   */
  listCounted(options?: { state?: string; limit?: number }): Promise<{ jobs: JobSummary[]; total: number }>;
  detail(jobId: string): Promise<JobView | undefined>;
  progress(): ProgressRow[];
  /** The ledger, when it could be opened (metrics read stage timings from it). */
  ledger(): Ledger | undefined;
  /** Why the ledger could not be opened (e.g. corrupt, with the command that repairs it); undefined when open. */
  ledgerProblem(): string | undefined;
  close(): void;
}

/** A job as the ledger knows it, with its live progress when it is being worked on. */
function fromLedger(row: JobRow, p: ProgressRow | undefined): JobSummary {
  return {
    job_id: row.job_id,
    queue: row.queue,
    state: row.state,
    stage: p?.stage ?? row.stage,
    attempts: row.attempts,
    artist: apiText(row.artist),
    title: apiText(row.title),
    source_type: row.source_type,
    updated_at: row.updated_at,
    progress: p ? { stage: p.stage, percent: p.percent } : null,
    last_error: row.last_error,
    engine: null,
  };
}

function fromFolder(job: FolderJob): JobSummary {
  const error = job.error as { message?: unknown; problems?: unknown } | undefined;
  return {
    job_id: job.job_id,
    queue: job.queue,
    state: job.state,
    stage: null,
    attempts: job.attempts,
    artist: apiText(job.artist),
    title: apiText(job.title),
    source_type: job.source_type ?? null,
    updated_at: new Date(job.changed_ms).toISOString(),
    progress: null,
    last_error:
      typeof error?.message === 'string' ? error.message : error ? cutText(JSON.stringify(error), 300) : null,
    engine: null,
  };
}

/**
 * The ledger states that describe a job whose folder is in this state. Every writer moves the folder first
 * and records the ledger after (a claim, then "running"; a release, then "retrying", "waiting" or
 * "released"; an archive, then its outcome; a retry, then "ready"): a ledger state that does not fit where
 * the folder is was said before the folder's last move, and the folder is the truth. Decided by states,
 * never by times: the ledger's times are the clock of the host that wrote them, the folder's the file
 * server's, and a worker a day ahead of it made a requeued job show "failed" (a day behind, a running job
 * "claimed", a retrying one "ready" without its error).
 */
const LEDGER_STATES_OF: Record<JobState, readonly LedgerState[]> = {
  tmp: [],
  ready: ['ready', 'retrying', 'waiting', 'released'],
  // A waiting job is claimed for each look at what it waits for.
  claimed: ['claimed', 'running', 'waiting'],
  succeeded: ['succeeded'],
  failed: ['failed'],
  rejected: ['rejected'],
  cancelled: ['cancelled'],
};

const isLedgerState = (state: string): state is LedgerState =>
  (LEDGER_STATES as readonly string[]).includes(state);

/** Whether the ledger's state says where the job's folder is (else the folder moved after it). */
const ledgerFits = (ledgerState: string, folderState: JobState): boolean =>
  (LEDGER_STATES_OF[folderState] as readonly string[]).includes(ledgerState);

/**
 * What the dashboard shows about jobs: the ledger's rows (state history, stages, errors, live progress)
 * joined with the queue folders, which are the truth (a job waiting in a queue is not in the ledger yet,
 * and a folder that moved after the ledger's last word wins: see ledgerFits).
 */
export function createJobsView(paths: ImkPaths, logger: Logger): JobsView {
  let ledger: Ledger | undefined;
  let problem: string | undefined;
  let warned = false;
  const readEngine = createEngineFactsReader(paths.outputs);
  const getLedger = (): Ledger | undefined => {
    if (ledger) return ledger;
    try {
      ledger = openLedger({ root: paths.root });
      problem = undefined;
    } catch (error) {
      problem = errorMessage(error);
      if (!warned)
        logger.warn({ err: errorMessage(error) }, 'job ledger unavailable; showing queue folders only');
      warned = true;
    }
    return ledger;
  };

  const progressMap = (): Map<string, ProgressRow> =>
    new Map(
      getLedger()
        ?.readProgress()
        .map((p) => [p.job_id, p]) ?? [],
    );

  return {
    ledgerProblem: () => (getLedger() ? undefined : problem),
    async list(options = {}) {
      return (await this.listCounted(options)).jobs;
    },

    async listCounted(options = {}) {
      const limit = options.limit ?? 300;
      const { state } = options;
      const byId = new Map<string, JobSummary>();
      const progress = progressMap();
      const ledgerNow = getLedger();
      // Filtered in the ledger's query, before its limit: asking for the failed jobs among 1,000 newer
      // succeeded ones cut the list to the newest 300 first and then found no failed one there.
      const ledgerState = state !== undefined && isLedgerState(state) ? state : undefined;
      const rows =
        state !== undefined && ledgerState === undefined
          ? []
          : ledgerNow?.listJobs({ state: ledgerState, limit });
      for (const row of rows ?? []) byId.set(row.job_id, fromLedger(row, progress.get(row.job_id)));
      const inFolders: FolderJob[] = [];
      for (const queue of await queueNames(paths.queues))
        inFolders.push(...(await listFolderJobs(paths.queues, queue, ['tmp', 'ready', 'claimed'])));
      // What the ledger says of the jobs in folders, whatever their state (the list above has only one).
      const folderIds = [...new Set(inFolders.map((f) => f.job_id))];
      const said = new Map((ledgerNow?.listJobsById(folderIds) ?? []).map((row) => [row.job_id, row]));
      for (const folder of inFolders) {
        const row = said.get(folder.job_id);
        const known = byId.get(folder.job_id) ?? (row && fromLedger(row, progress.get(row.job_id)));
        if (known && ledgerFits(known.state, folder.state)) {
          byId.set(folder.job_id, known);
          continue;
        }
        byId.set(folder.job_id, {
          ...fromFolder(folder),
          ...(known && { stage: known.stage, progress: known.progress }),
        });
      }
      let jobs = [...byId.values()];
      if (state !== undefined) jobs = jobs.filter((j) => j.state === state);
      // The ledger's count, corrected by the jobs whose folder says otherwise (a job in tmp/, ready/ or
      // claimed/ is shown in its folder's state when the ledger's does not fit; see ledgerFits).
      let total = ledgerNow?.countJobs(ledgerState) ?? 0;
      if (state !== undefined && ledgerState === undefined) total = 0;
      for (const id of folderIds) {
        const shown = byId.get(id)?.state;
        const ledgerSays = said.get(id)?.state;
        if (state === undefined) {
          if (ledgerSays === undefined) total++;
          continue;
        }
        if (shown === state && ledgerSays !== state) total++;
        if (shown !== state && ledgerSays === state) total--;
      }
      total = Math.max(total, jobs.length);
      jobs = jobs.sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, limit);
      for (const job of jobs) job.engine = await readEngine(job.job_id);
      return { jobs, total };
    },

    async detail(jobId) {
      const ledgerDetail = getLedger()?.getJob(jobId);
      const folders = await findFolderJob(paths.queues, jobId);
      const latest = folders.at(-1);
      if (!ledgerDetail && !latest) return undefined;
      let job: Record<string, unknown> | undefined;
      let jobProblem: string | undefined;
      if (latest) {
        try {
          // Through protocol's reader: a FIFO or link is refused, a 200k-deep document is refused before it is parsed (it
          // would overflow the stack when the answer is serialized: a 500 instead of the job).
          job = (await readJobJson(latest.dir)) as Record<string, unknown>;
        } catch (error) {
          job = undefined;
          jobProblem = errorMessage(error);
        }
      }
      let summary: JobSummary;
      if (ledgerDetail) {
        const row = ledgerDetail.job;
        summary = fromLedger(row, ledgerDetail.progress);
        // A waiting job is in ready/ between its looks, in claimed/ during one (another host may have moved
        // it there and back since): the ledger says what it waits for.
        if (latest && !ledgerFits(row.state, latest.state)) summary.state = latest.state;
      } else {
        summary = fromFolder(latest as FolderJob);
      }
      summary.engine = await readEngine(jobId);
      const { job: _row, ...rest } = ledgerDetail ?? { job: undefined };
      return {
        summary,
        job,
        ...(jobProblem !== undefined && { jobProblem }),
        folders: folders.map((f) => ({ queue: f.queue, state: f.state, dir: f.dir })),
        ledger: ledgerDetail ? (rest as Omit<JobDetail, 'job'>) : undefined,
        folderError: latest?.error,
      };
    },
    progress: () => getLedger()?.readProgress() ?? [],
    ledger: getLedger,
    close() {
      ledger?.close();
      ledger = undefined;
    },
  };
}
