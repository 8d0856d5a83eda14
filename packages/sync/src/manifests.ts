import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeProblems, validateManifest } from '@imk/protocol';

export const MANIFEST_FILE = 'manifest.json';

/** A job folder whose manifest exists, i.e. a complete job (the manifest is written last). */
export interface CompleteJob {
  jobId: string;
  dir: string;
  manifestPath: string;
  /** Changes whenever the manifest is rewritten; used to skip re-reading unchanged manifests. */
  version: string;
  /** The manifest file's mtime (ms). */
  writtenMs: number;
}

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
}

export type ReadManifestResult = { ok: true; manifest: JobManifest } | { ok: false; problem: string };

/**
 * Lists complete jobs in outputs/: folders not starting with "." (those are being written) that hold a
 * manifest.json. A missing outputs folder is an empty list.
 */
export async function listCompleteJobs(outputsDir: string): Promise<CompleteJob[]> {
  let names: string[];
  try {
    names = (await readdir(outputsDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  names.sort();
  const jobs = await Promise.all(
    names.map(async (jobId): Promise<CompleteJob | undefined> => {
      const dir = join(outputsDir, jobId);
      const manifestPath = join(dir, MANIFEST_FILE);
      try {
        const info = await stat(manifestPath);
        return {
          jobId,
          dir,
          manifestPath,
          version: `${info.ino}:${info.size}:${info.mtimeMs}`,
          writtenMs: info.mtimeMs,
        };
      } catch {
        return undefined;
      }
    }),
  );
  return jobs.filter((job): job is CompleteJob => job !== undefined);
}

/** Reads and validates a manifest (v1 or legacy) into the fields routing and transfers use. */
export async function readJobManifest(job: CompleteJob): Promise<ReadManifestResult> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(job.manifestPath, 'utf8'));
  } catch (error) {
    return { ok: false, problem: `${job.manifestPath} cannot be read as JSON: ${(error as Error).message}` };
  }
  const result = validateManifest(json);
  if (!result.ok)
    return {
      ok: false,
      problem: `${job.manifestPath} is not a valid manifest: ${describeProblems(result.problems)}`,
    };
  const { legacy, manifest } = result.value;
  const artifacts: SyncArtifact[] = manifest.artifacts.map((artifact) => ({
    path: artifact.path,
    kind: artifact.kind,
    variant: artifact.variant ?? '',
    label: artifact.label ?? '',
    codec: artifact.codec ?? '',
    container: artifact.container ?? '',
    sha256:
      typeof artifact.sha256 === 'string' && /^[0-9a-f]{64}$/.test(artifact.sha256)
        ? artifact.sha256
        : undefined,
    bytes:
      typeof (artifact as { bytes?: unknown }).bytes === 'number'
        ? (artifact as { bytes: number }).bytes
        : undefined,
  }));
  return {
    ok: true,
    manifest: {
      jobId: job.jobId,
      dir: job.dir,
      legacy,
      writtenMs: job.writtenMs,
      sourceType: manifest.source_type ?? '',
      artist: manifest.artist ?? '',
      album: manifest.album ?? '',
      title: manifest.title ?? '',
      artifacts,
    },
  };
}
