import { resolvePaths } from '@imk/config';
import { isImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import { openLedger, type Ledger } from './ledger.ts';
import { scanOutputs, scanQueues, type SeenFolder, type SeenManifest } from './scan-folders.ts';
import { JOB_TABLES } from './schema.ts';
import type { ArtifactRecord, JobFacts } from './types.ts';

export interface RebuildLedgerOptions {
  /** The folder holding queues/, outputs/ and state/. */
  root: string;
  /** The queue folders, when not `<root>/queues` (see `resolvePaths`). */
  queues?: string;
  /** The outputs folder, when not `<root>/outputs`. */
  outputs?: string;
  /** The ledger file. @default <root>/state/ledger.sqlite */
  file?: string;
}

export interface RebuildResult {
  file: string;
  jobs: number;
  folders: number;
  manifests: number;
  artifacts: number;
  /** Queue entries that are not job folders and manifests that did not validate (skipped, each with its reason). */
  problems: string[];
  /** Where a corrupt ledger file was moved (`<file>.corrupt-<time>`) before this rebuild, if it was. */
  movedAside?: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function factsOf(folder: SeenFolder): JobFacts {
  return {
    queue: folder.queue,
    sourceType: text(folder.job?.source_type),
    artist: text(folder.job?.artist),
    album: text(folder.job?.album),
    title: text(folder.job?.title),
  };
}

function errorMessageOf(folder: SeenFolder): string | undefined {
  const error = folder.error;
  if (!error) return undefined;
  if (typeof error.message === 'string') return error.message;
  if (Array.isArray(error.problems))
    return error.problems
      .map((p: unknown) => {
        const problem = p as { path?: unknown; message?: unknown };
        return `${String(problem.path)}: ${String(problem.message)}`;
      })
      .join('; ');
  return undefined;
}

function recordFolder(ledger: Ledger, folder: SeenFolder): void {
  const message = errorMessageOf(folder);
  const stage = text(folder.error?.stage) ?? (folder.state === 'rejected' ? 'validate' : undefined);
  const attempt =
    typeof folder.error?.attempt === 'number' ? folder.error.attempt : folder.attempts || undefined;
  ledger.recordState(
    folder.jobId,
    { state: folder.state, at: folder.at, stage, attempt, message: message ?? `seen in ${folder.dir}` },
    factsOf(folder),
  );
  if (message && stage && (folder.state === 'failed' || folder.state === 'rejected'))
    ledger.recordError(folder.jobId, {
      stage,
      message,
      attempt,
      at: folder.at,
      code: text(folder.error?.code),
    });
}

export function recordManifest(ledger: Ledger, seen: SeenManifest, known: boolean): number {
  const { manifest, jobId } = seen;
  const m = manifest.manifest;
  const facts: JobFacts = {
    sourceType: m.source_type ?? undefined,
    artist: m.artist ?? undefined,
    album: m.album ?? undefined,
    title: m.title ?? undefined,
    outputDir: seen.dir,
    inputSha256: manifest.legacy ? undefined : manifest.manifest.input.sha256,
    duplicateOf: manifest.legacy ? undefined : manifest.manifest.duplicate_of,
  };
  if (known) ledger.upsertJob(jobId, facts);
  else
    ledger.recordState(jobId, { state: 'succeeded', at: seen.at, message: `outputs in ${seen.dir}` }, facts);
  if (!manifest.legacy) {
    for (const [stage, seconds] of Object.entries(manifest.manifest.timings_sec))
      ledger.recordStage(jobId, {
        stage,
        // One instant in UTC, as every stage the worker records (processed_at may carry any zone).
        startedAt: seen.at,
        durationSec: seconds,
        outcome: 'ok',
      });
  }
  const artifacts: ArtifactRecord[] = m.artifacts.map((a) => ({
    path: a.path,
    kind: a.kind,
    variant: a.variant ?? undefined,
    label: a.label ?? undefined,
    sha256: a.sha256 ?? undefined,
    bytes: 'bytes' in a && typeof a.bytes === 'number' ? a.bytes : undefined,
    duration_sec: a.duration_sec ?? undefined,
    codec: a.codec ?? undefined,
    container: a.container ?? undefined,
  }));
  ledger.recordArtifacts(jobId, artifacts);
  return artifacts.length;
}

/**
 * Rebuilds the ledger from the folders alone (they are the truth): every job folder in every queue
 * (ready, claimed, succeeded, failed with its error file, rejected with its reasons) and every
 * `outputs/<job_id>/manifest.json`. A job seen in several folders gets one event per folder in time
 * order, and its latest state. Live progress is cleared. Replaces the ledger's rows in one transaction,
 * so readers see the old ledger or the new one.
 */
export async function rebuildLedger(options: RebuildLedgerOptions): Promise<RebuildResult> {
  // Unset: where config/paths.yaml (or IMK_PATHS__*) puts them, as every service reads them.
  const paths = resolvePaths(options.root);
  const scanned = await scanQueues(options.queues ?? paths.queues);
  const { folders } = scanned;
  const outputs = await scanOutputs(options.outputs ?? paths.outputs);
  const { manifests } = outputs;
  const problems = [...scanned.problems, ...outputs.problems];
  folders.sort((a, b) => a.at.localeCompare(b.at));
  let movedAside: string | undefined;
  // Rebuilding is the cure for a corrupt ledger: it is moved aside (kept) and a new one made.
  const ledger = openLedger({
    root: options.root,
    file: options.file,
    onCorrupt: 'move-aside',
    onMovedAside: (to) => (movedAside = to),
  });
  try {
    let artifacts = 0;
    ledger.db.transaction(() => {
      for (const table of JOB_TABLES) ledger.db.exec(`DELETE FROM ${table}`);
      const known = new Set<string>();
      for (const folder of folders) {
        recordFolder(ledger, folder);
        known.add(folder.jobId);
      }
      for (const seen of manifests) artifacts += recordManifest(ledger, seen, known.has(seen.jobId));
    })();
    const jobs = (ledger.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
    return {
      file: ledger.file,
      jobs,
      folders: folders.length,
      manifests: manifests.length,
      artifacts,
      problems,
      ...(movedAside !== undefined && { movedAside }),
    };
  } finally {
    ledger.close();
  }
}

/**
 * Opens the ledger; a corrupt one is named in the log, moved aside to `<file>.corrupt-<time>` and rebuilt
 * from the folders first, so a worker carries on instead of stopping on "file is not a database".
 */
export async function openLedgerRecovering(options: {
  root: string;
  file?: string;
  logger?: Logger;
}): Promise<Ledger> {
  try {
    return openLedger({ root: options.root, file: options.file });
  } catch (error) {
    if (!isImkError(error, 'LEDGER_CORRUPT')) throw error;
    const result = await rebuildLedger({ root: options.root, file: options.file });
    options.logger?.warn(
      { file: result.file, moved_to: result.movedAside, jobs: result.jobs },
      `the job ledger ${result.file} was corrupt: kept as ${result.movedAside ?? '(moved aside)'} and rebuilt from queues/ and outputs/ (${result.jobs} jobs)`,
    );
    return openLedger({ root: options.root, file: options.file });
  }
}
