import { join } from 'node:path';
import { describeProblems, listOutputs as listOutputFolders, readOutputManifest } from '@imk/protocol';
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
}

export interface OutputSummary {
  job_id: string;
  artist: string | undefined;
  title: string | undefined;
  processed_at: string | undefined;
  artifacts: number;
  legacy: boolean;
  /** Set when manifest.json does not validate (sync and the ledger refuse it for these reasons). */
  problems: string[] | undefined;
}

export interface OutputDetail {
  job_id: string;
  manifest: Record<string, unknown>;
  legacy: boolean;
  artifacts: OutputArtifact[];
  /** Set when manifest.json exists but does not validate: shown to the user rather than hidden. */
  problems: string[] | undefined;
}

/**
 * Reads `outputs/<job_id>/manifest.json` through the one outputs reader of @imk/protocol (v1, or the
 * earlier version's with its nulls); undefined when the job has no published output (yet). A manifest that
 * does not validate is shown with its problems rather than hidden.
 */
export async function readOutput(outputsDir: string, jobId: string): Promise<OutputDetail | undefined> {
  if (!isOutputName(jobId)) return undefined;
  const result = await readOutputManifest(join(outputsDir, jobId));
  if (result === undefined) return undefined;
  if (result.ok) {
    const { manifest } = result;
    return {
      job_id: jobId,
      manifest: manifest.document.manifest,
      legacy: manifest.legacy,
      artifacts: manifest.artifacts.map((a, index): OutputArtifact => ({ index, ...a })),
      problems: undefined,
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
    manifest,
    legacy: !('schema_version' in manifest),
    artifacts,
    problems: result.problems.map((p) => describeProblems([p])),
  };
}

/**
 * Published outputs, newest first (by the manifest's mtime), at most `limit`: the folders the one outputs
 * reader of @imk/protocol lists, as sync and the ledger see them. One whose manifest does not validate is
 * listed with its problems (sync and the ledger refuse it with the same words), not hidden.
 */
export async function listOutputs(outputsDir: string, limit = 200): Promise<OutputSummary[]> {
  const folders = (await listOutputFolders(outputsDir)).sort((a, b) => b.writtenMs - a.writtenMs);
  const result: OutputSummary[] = [];
  for (const { jobId } of folders.slice(0, limit)) {
    const detail = await readOutput(outputsDir, jobId);
    if (!detail) continue;
    result.push({
      job_id: jobId,
      artist: detail.manifest.artist as string | undefined,
      title: detail.manifest.title as string | undefined,
      processed_at: detail.manifest.processed_at as string | undefined,
      artifacts: detail.artifacts.length,
      legacy: detail.legacy,
      problems: detail.problems,
    });
  }
  return result;
}
