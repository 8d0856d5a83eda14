import { lstat, readdir } from 'node:fs/promises';
import { errorMessage, isImkError } from '@imk/errors';
import { assertRealFolder, parseUntrustedJson, readUntrustedText } from '@imk/fs-safe';
import { join } from 'node:path';
import { validateManifest, type AnyManifest } from '@imk/protocol';
import { isJobId } from './safe-path.ts';

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
}

export interface OutputSummary {
  job_id: string;
  artist: string | undefined;
  title: string | undefined;
  processed_at: string | undefined;
  artifacts: number;
  legacy: boolean;
}

export interface OutputDetail {
  job_id: string;
  manifest: Record<string, unknown>;
  legacy: boolean;
  artifacts: OutputArtifact[];
  /** Set when manifest.json exists but does not validate: shown to the user rather than hidden. */
  problems: string[] | undefined;
}

/** Largest manifest.json read (thousands of artifacts fit in a few MiB). */
const MANIFEST_MAX_BYTES = 16 << 20;

function problem(jobId: string, message: string): OutputDetail {
  return { job_id: jobId, manifest: {}, legacy: false, artifacts: [], problems: [message] };
}

/** Reads `outputs/<job_id>/manifest.json`; undefined when the job has no published output (yet). */
export async function readOutput(outputsDir: string, jobId: string): Promise<OutputDetail | undefined> {
  if (!isJobId(jobId)) return undefined;
  const dir = join(outputsDir, jobId);
  let text: string;
  try {
    // outputs/<id> must be a real folder (a link to one is not served), manifest.json a regular file.
    await assertRealFolder(dir);
    text = await readUntrustedText(join(dir, 'manifest.json'), {
      name: 'manifest.json',
      maxBytes: MANIFEST_MAX_BYTES,
    });
  } catch (error) {
    // Not there, or not a real folder (a link to one elsewhere is not served): no output of this job here.
    if (['FILE_MISSING', 'FOLDER_IS_SYMLINK', 'NOT_A_FOLDER'].some((code) => isImkError(error, code)))
      return undefined;
    return problem(jobId, errorMessage(error));
  }
  let json: unknown;
  try {
    json = parseUntrustedJson(text, { name: 'manifest.json' });
  } catch (error) {
    return problem(jobId, errorMessage(error));
  }
  const checked = validateManifest(json);
  const manifest = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const value: AnyManifest | undefined = checked.ok ? checked.value : undefined;
  const raw: Record<string, unknown>[] = value
    ? value.manifest.artifacts
    : Array.isArray(manifest.artifacts)
      ? (manifest.artifacts as Record<string, unknown>[])
      : [];
  const artifacts = raw.map((a, index): OutputArtifact => ({
    index,
    kind: typeof a.kind === 'string' ? a.kind : '',
    variant: typeof a.variant === 'string' ? a.variant : undefined,
    label: typeof a.label === 'string' ? a.label : undefined,
    path: typeof a.path === 'string' ? a.path : '',
    codec: a.codec as string | undefined,
    container: a.container as string | undefined,
    duration_sec: a.duration_sec as number | undefined,
    sha256: a.sha256 as string | undefined,
    bytes: typeof a.bytes === 'number' ? a.bytes : undefined,
  }));
  return {
    job_id: jobId,
    manifest,
    legacy: value?.legacy ?? !('schema_version' in manifest),
    artifacts,
    problems: checked.ok ? undefined : checked.problems.map((p) => `${p.path}: ${p.message}`),
  };
}

/** Published outputs, newest first (by the manifest's mtime), at most `limit`. */
export async function listOutputs(outputsDir: string, limit = 200): Promise<OutputSummary[]> {
  let names: string[];
  try {
    names = (await readdir(outputsDir)).filter(isJobId);
  } catch {
    return [];
  }
  const dated: { name: string; mtime: number }[] = [];
  for (const name of names) {
    // lstat: an outputs/<id> that is a link to a folder elsewhere is not listed (nor served).
    const folder = await lstat(join(outputsDir, name)).catch(() => undefined);
    if (!folder?.isDirectory()) continue;
    const info = await lstat(join(outputsDir, name, 'manifest.json')).catch(() => undefined);
    if (info?.isFile()) dated.push({ name, mtime: info.mtimeMs });
  }
  dated.sort((a, b) => b.mtime - a.mtime);
  const result: OutputSummary[] = [];
  for (const { name } of dated.slice(0, limit)) {
    const detail = await readOutput(outputsDir, name);
    if (!detail) continue;
    result.push({
      job_id: name,
      artist: detail.manifest.artist as string | undefined,
      title: detail.manifest.title as string | undefined,
      processed_at: detail.manifest.processed_at as string | undefined,
      artifacts: detail.artifacts.length,
      legacy: detail.legacy,
    });
  }
  return result;
}
