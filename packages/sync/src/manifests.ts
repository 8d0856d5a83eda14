import { dirname } from 'node:path';
import {
  MANIFEST_FILE,
  describeLeftOut,
  describeOutputProblem,
  readJobOutput,
  scanOutputFolders,
  type OutputFolder,
} from '@imk/protocol';

export { MANIFEST_FILE };

/**
 * A job folder whose manifest exists, i.e. a complete job (the manifest is written last). `version`
 * changes whenever the manifest is rewritten (used to skip re-reading unchanged manifests); `writtenMs` is
 * its mtime.
 */
export type CompleteJob = OutputFolder;

/** One artifact as the sync needs it. `sha256`/`bytes` are absent only in legacy manifests. */
export interface SyncArtifact {
  path: string;
  kind: string;
  variant: string;
  label: string;
  codec: string;
  container: string;
  sha256: string | undefined;
  bytes: number | undefined;
}

export interface JobManifest {
  jobId: string;
  dir: string;
  legacy: boolean;
  /** When the manifest was written (its mtime, ms). */
  writtenMs: number;
  sourceType: string;
  artist: string;
  album: string;
  title: string;
  artifacts: SyncArtifact[];
  /**
   * Artifacts of the earlier version's manifest that cannot be read (a `path` null, empty, absolute, with
   * `..`; no `kind`), one line each naming the job, the artifact and the field: never synced, as its own
   * sync program skipped them; the job's other artifacts are.
   */
  leftOut: string[];
}

export type ReadManifestResult = { ok: true; manifest: JobManifest } | { ok: false; problem: string };

/**
 * Lists complete jobs in outputs/: folders not starting with "." (those are being written) that hold a
 * manifest.json. A missing outputs folder is an empty list. (The outputs reader of @imk/protocol.)
 */
export async function listCompleteJobs(outputsDir: string): Promise<CompleteJob[]> {
  return (await scanCompleteJobs(outputsDir)).jobs;
}

/**
 * listCompleteJobs, with one line per folder of outputs/ that cannot be listed (a name not UTF-8, or with a control character:
 * OutputsScan.notListed): never synced, and said in the pass's summary and log. `replacing`: jobs whose
 * folder a worker stopped between its two renames (OutputsScan.replacing): not read this pass, not gone.
 */
export async function scanCompleteJobs(
  outputsDir: string,
): Promise<{ jobs: CompleteJob[]; notListed: string[]; replacing: string[] }> {
  const { folders, notListed, replacing } = await scanOutputFolders(outputsDir);
  return { jobs: folders, notListed, replacing };
}

/**
 * Reads and validates a manifest (v1, or the earlier version's with its nulls) into the fields routing and
 * transfers use, through the one outputs reader of @imk/protocol; across the moment a worker replaces the
 * job's folder (readJobOutput), which was else a "manifest missing" problem for the pass.
 */
export async function readJobManifest(job: CompleteJob): Promise<ReadManifestResult> {
  const result = await readJobOutput(dirname(job.dir), job.jobId);
  if (result === undefined) return { ok: false, problem: `${job.manifestPath} is missing` };
  if (!result.ok) return { ok: false, problem: describeOutputProblem(result) };
  const { manifest } = result;
  const artifacts: SyncArtifact[] = manifest.artifacts.map((artifact) => ({
    path: artifact.path,
    kind: artifact.kind,
    variant: artifact.variant ?? '',
    label: artifact.label ?? '',
    codec: artifact.codec ?? '',
    container: artifact.container ?? '',
    sha256: artifact.sha256,
    bytes: artifact.bytes,
  }));
  return {
    ok: true,
    manifest: {
      jobId: job.jobId,
      dir: job.dir,
      legacy: manifest.legacy,
      writtenMs: job.writtenMs,
      sourceType: manifest.source_type ?? '',
      artist: manifest.artist ?? '',
      album: manifest.album ?? '',
      title: manifest.title ?? '',
      artifacts,
      leftOut: describeLeftOut(manifest, job.manifestPath),
    },
  };
}
