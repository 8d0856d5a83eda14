import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '@imk/fs-safe';
import type { Artifact } from '@imk/protocol';
import { minimalManifest } from '@imk/protocol/testing';

export interface FixtureArtifact {
  /** Relative to the job folder, e.g. "files/audio/A - T.m4a". */
  path: string;
  kind?: 'audio' | 'video' | 'stems';
  variant?: string;
  /** File content; random bytes of `size` when absent. */
  data?: Buffer;
  size?: number;
}

export interface FixtureJob {
  jobId: string;
  artist?: string;
  album?: string;
  title?: string;
  sourceType?: string;
  artifacts: FixtureArtifact[];
  /** Write the earlier project's manifest (no schema_version, no sha256/bytes). */
  legacy?: boolean;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Writes outputs/<job_id>/files/… and then, last and atomically, manifest.json, as the worker does.
 * Returns the artifacts' contents.
 */
export async function writeJob(outputsDir: string, job: FixtureJob): Promise<Map<string, Buffer>> {
  const dir = join(outputsDir, job.jobId);
  const contents = new Map<string, Buffer>();
  const artifacts: Artifact[] = [];
  for (const artifact of job.artifacts) {
    const data = artifact.data ?? randomBytes(artifact.size ?? 1000);
    const file = join(dir, artifact.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, data);
    contents.set(artifact.path, data);
    const container = artifact.path.split('.').pop() ?? 'm4a';
    artifacts.push({
      kind: artifact.kind ?? 'audio',
      variant: artifact.variant ?? 'instrumental',
      label: artifact.variant ?? 'Instrumental',
      path: artifact.path,
      codec: 'aac',
      container,
      duration_sec: 1,
      sha256: sha256(data),
      bytes: data.length,
    });
  }
  const common = {
    job_id: job.jobId,
    source_type: job.sourceType ?? 'youtube',
    artist: job.artist ?? 'Artist',
    album: job.album ?? 'Album',
    title: job.title ?? `Title ${job.jobId}`,
    processed_at: '2026-01-01T00:00:00Z',
    stems_generated: true,
    stems_preserved: false,
  };
  // The earlier project's manifest is its own: no schema_version, input, engine…, nor sha256 and bytes.
  const manifest = job.legacy
    ? { ...common, artifacts: artifacts.map(({ sha256: _sha256, bytes: _bytes, ...rest }) => rest) }
    : minimalManifest(job.jobId, {
        ...common,
        artifacts,
        input: { sha256: sha256(Buffer.from(job.jobId)), duration_sec: 1 },
      });
  await writeJsonAtomic(join(dir, 'manifest.json'), manifest);
  return contents;
}

/** A job with one audio artifact per variant. */
export function audioJob(jobId: string, variants: string[] = ['instrumental'], size = 1000): FixtureJob {
  return {
    jobId,
    artifacts: variants.map((variant) => ({
      path: `files/audio/Artist - ${jobId} (${variant}).m4a`,
      variant,
      size,
    })),
  };
}

export { randomBytes };
