import { join, sep } from 'node:path';
import {
  artifactsOnDisk,
  describeOutputNotes,
  describeOnDisk,
  describeProblems,
  listOutputs as listOutputFolders,
  readOutputManifest,
  MANIFEST_FILE,
  outputFinishedMs,
  processedAtIso,
  readJobOutput,
  readThroughReplace,
  type ReadOutputResult,
  type ArtifactOnDisk,
  type OutputFolder,
} from '@imk/protocol';
import { apiText } from './api-text.ts';
import { isOutputName } from './safe-path.ts';

export interface OutputArtifact {
  index: number;
  kind: string;
  variant: string | undefined;
  label: string | undefined;
  path: string;
  codec: string | undefined | null;
  container: string | undefined | null;
  duration_sec: number | undefined | null;
  sha256: string | undefined | null;
  bytes: number | undefined;
  /** Turned down by this many dB (negative) so that it does not clip; undefined when it was not. */
  gain_db: number | undefined;
  /**
   * What is at its path in the job folder: `file`, `missing` (listed in manifest.json, deleted from the
   * folder), `not-a-file` (a folder, a device, a link out of the job folder). Undefined in the library list, which does not look.
   */
  on_disk?: ArtifactOnDisk;
  /** What to say of an artifact that is not a file on disk (describeOnDisk); undefined for a file. */
  on_disk_note?: string;
}

export interface OutputSummary {
  job_id: string;
  /** null when the song has none (as GET /api/jobs says it). */
  artist: string | null;
  title: string | null;
  processed_at: string | undefined;
  artifacts: number;
  legacy: boolean;
  /** Set when manifest.json does not validate (sync and the ledger refuse it for these reasons). */
  problems: string[] | undefined;
}

export interface OutputDetail {
  job_id: string;
  /**
   * When the job finished, from the manifest's processed_at read by the library's one reader (processedAtMs:
   * a time without a zone is UTC), in UTC: what the page shows, not the manifest's text read by each
   * browser's clock. Undefined when the manifest has no processed_at that is a time.
   */
  processed_at: string | undefined;
  /** manifest.json as stored (shown as the file). */
  manifest: Record<string, unknown>;
  legacy: boolean;
  artifacts: OutputArtifact[];
  /** Set when manifest.json exists but does not validate: shown to the user rather than hidden. */
  problems: string[] | undefined;
  /**
   * Artifacts of the earlier version's manifest that cannot be read (no usable path or kind), one line each
   * naming the file, the artifact and the field: not in `artifacts`, never synced (OutputManifest.leftOut).
   */
  left_out: string[];
}

/**
 * Reads `outputs/<job_id>/manifest.json` through the one outputs reader of @imk/protocol (v1, or the
 * earlier version's with its nulls); undefined when the job has no published output (yet). A manifest that
 * does not validate is shown with its problems rather than hidden. Read across the moment a worker replaces
 * the folder (readThroughReplace): a job whose mix is being saved has its outputs, not none, and the state
 * on disk of each artifact (one lstat each, unless `onDisk: false`: a caller that lists many outputs needs
 * none) is looked at in the same read, so a file "missing" only because its folder was moved aside in that
 * moment is read again, not shown as missing.
 */
export async function readOutput(
  outputsDir: string,
  jobId: string,
  options: { onDisk?: boolean } = {},
): Promise<OutputDetail | undefined> {
  if (!isOutputName(jobId)) return undefined;
  const dir = join(outputsDir, jobId);
  if (options.onDisk === false) {
    const result = await readJobOutput(outputsDir, jobId);
    return result && detailOf(jobId, result, (artifacts) => Promise.resolve(artifacts));
  }
  const look = async (artifacts: OutputArtifact[]): Promise<OutputArtifact[]> => {
    const states = await artifactsOnDisk(dir, artifacts);
    return artifacts.map((a, index) => {
      const state = states[index] ?? 'file';
      return { ...a, on_disk: state, on_disk_note: describeOnDisk(state) };
    });
  };
  // A read that finds a file missing is taken as nothing found, so that readThroughReplace reads again when
  // the folder was moved during it; when it was the same folder all along, the files are missing indeed.
  let withMissing: OutputDetail | undefined;
  const detail = await readThroughReplace(outputsDir, jobId, async () => {
    withMissing = undefined;
    const result = await readOutputManifest(dir);
    if (result === undefined) return undefined;
    const read = await detailOf(jobId, result, look);
    if (!read.artifacts.some((a) => a.on_disk === 'missing')) return read;
    withMissing = read;
    return undefined;
  });
  return detail ?? withMissing;
}

/**
 * One read of `outputs/<job_id>/manifest.json`, without readOutput's wait across a replace or its look at
 * the files: for a caller that reads inside a readThroughReplace of its own (the preview route), so that a
 * job folder moved aside is read again by that one loop, not waited for twice.
 */
export async function readOutputOnce(outputsDir: string, jobId: string): Promise<OutputDetail | undefined> {
  if (!isOutputName(jobId)) return undefined;
  const result = await readOutputManifest(join(outputsDir, jobId));
  return result && detailOf(jobId, result, (artifacts) => Promise.resolve(artifacts));
}

/** What readOutput says of one read of the manifest, `look` giving each artifact's state on disk. */
async function detailOf(
  jobId: string,
  result: ReadOutputResult,
  look: (artifacts: OutputArtifact[]) => Promise<OutputArtifact[]>,
): Promise<OutputDetail> {
  if (result.ok) {
    const { manifest } = result;
    return {
      job_id: jobId,
      processed_at: processedAtIso(manifest.processed_at),
      manifest: manifest.document.manifest,
      legacy: manifest.legacy,
      artifacts: await look(manifest.artifacts.map((a, index): OutputArtifact => ({ index, ...a }))),
      problems: undefined,
      left_out: describeOutputNotes(manifest, MANIFEST_FILE),
    };
  }
  const json = result.json;
  const manifest = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const raw = Array.isArray(manifest.artifacts) ? (manifest.artifacts as Record<string, unknown>[]) : [];
  const artifacts = raw.map((a, index): OutputArtifact => ({
    index,
    kind: typeof a.kind === 'string' ? a.kind : '',
    variant: typeof a.variant === 'string' ? a.variant : undefined,
    label: typeof a.label === 'string' ? a.label : undefined,
    path: typeof a.path === 'string' ? a.path : '',
    codec: typeof a.codec === 'string' ? a.codec : undefined,
    container: typeof a.container === 'string' ? a.container : undefined,
    duration_sec: typeof a.duration_sec === 'number' ? a.duration_sec : undefined,
    sha256: typeof a.sha256 === 'string' ? a.sha256 : undefined,
    bytes: typeof a.bytes === 'number' ? a.bytes : undefined,
    gain_db: typeof a.gain_db === 'number' ? a.gain_db : undefined,
  }));
  return {
    job_id: jobId,
    processed_at: processedAtIso(manifest.processed_at),
    manifest,
    legacy: !('schema_version' in manifest),
    artifacts: await look(artifacts),
    problems: result.problems.map((p) => describeProblems([p])),
    left_out: [],
  };
}

/** Outputs GET /api/outputs lists without `?limit`. */
export const OUTPUTS_LIST_LIMIT = 200;

/**
 * Published outputs, newest first by when each job finished (the manifest's own `processed_at`, as the
 * ledger and `imk jobs` date it; the manifest file's mtime only when it has none), at most `limit`: the
 * folders the one outputs reader of @imk/protocol lists, as sync and the ledger see them. Sorted by the
 * mtime alone, a library copied with `cp -r` (or synced without times) came in the copy's order. One whose
 * manifest does not validate is listed with its problems (sync and the ledger refuse it with the same
 * words), not hidden.
 */
export async function listOutputs(outputsDir: string, limit = OUTPUTS_LIST_LIMIT): Promise<OutputSummary[]> {
  const folders = await listOutputFolders(outputsDir);
  const finished = new Map<string, number>();
  for (const folder of folders) finished.set(folder.jobId, await finishedMs(folder));
  forgetOthers(outputsDir, folders);
  folders.sort((a, b) => finished.get(b.jobId)! - finished.get(a.jobId)! || a.jobId.localeCompare(b.jobId));
  const result: OutputSummary[] = [];
  for (const { jobId } of folders.slice(0, limit)) {
    const detail = await readOutput(outputsDir, jobId, { onDisk: false });
    if (!detail) continue;
    const processedAt = detail.manifest.processed_at;
    result.push({
      job_id: jobId,
      artist: apiText(detail.manifest.artist),
      title: apiText(detail.manifest.title),
      // In UTC, read once here (a time without a zone is UTC: processedAtMs), not by each browser's clock.
      processed_at:
        processedAtIso(processedAt) ?? (typeof processedAt === 'string' ? processedAt : undefined),
      artifacts: detail.artifacts.length,
      legacy: detail.legacy,
      problems: detail.problems,
    });
  }
  return result;
}

/** When each manifest said its job finished, kept while the manifest is the same file (its version). */
const finishedCache = new Map<string, { version: string; ms: number }>();

/** When a listed output finished (outputFinishedMs): read from its manifest once per version of it. */
async function finishedMs(folder: OutputFolder): Promise<number> {
  const cached = finishedCache.get(folder.manifestPath);
  if (cached?.version === folder.version) return cached.ms;
  const read = await readOutputManifest(folder.dir).catch(() => undefined);
  const json = read === undefined ? undefined : read.ok ? read.manifest.document.manifest : read.json;
  const processedAt =
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>).processed_at : undefined;
  const ms = outputFinishedMs(processedAt, folder);
  finishedCache.set(folder.manifestPath, { version: folder.version, ms });
  return ms;
}

/** Drops what is kept of this outputs folder's manifests no longer listed (a job removed from it). */
function forgetOthers(outputsDir: string, listed: readonly OutputFolder[]): void {
  const paths = new Set(listed.map((folder) => folder.manifestPath));
  const inside = join(outputsDir, sep);
  for (const path of finishedCache.keys())
    if (path.startsWith(inside) && !paths.has(path)) finishedCache.delete(path);
}
