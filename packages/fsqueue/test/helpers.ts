import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishBundle } from '../src/index.ts';

/** A temp folder removed by the returned cleanup. */
export async function tempRoot(
  prefix = 'imk-fsqueue-',
): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Publishes a minimal valid job with a tiny audio file. */
export async function publishTiny(
  queueDir: string,
  jobId: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const { dir } = await publishBundle({
    queueDir,
    job: { job_id: jobId, source_type: 'local', audio_path: 'audio.m4a', title: jobId, ...extra },
    files: [{ name: 'audio.m4a', data: `audio of ${jobId}` }],
  });
  return dir;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Writes many bundles quickly for tests about claiming (not about publishing): the same layout and
 * job.json as publishBundle, .tmp then one rename, but without fsync.
 */
export async function publishManyUnsynced(queueDir: string, ids: string[]): Promise<void> {
  const { mkdir, rename, writeFile } = await import('node:fs/promises');
  const { sha256Buffer } = await import('@imk/fs-safe');
  await mkdir(queueDir, { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const tmp = join(queueDir, `job_${id}.tmp`);
      const audio = `audio of ${id}`;
      await mkdir(tmp);
      await writeFile(join(tmp, 'audio.m4a'), audio);
      const job = {
        schema_version: 1,
        job_id: id,
        source_type: 'local',
        audio_path: 'audio.m4a',
        files: [{ path: 'audio.m4a', sha256: sha256Buffer(audio), bytes: Buffer.byteLength(audio) }],
      };
      await writeFile(join(tmp, 'job.json'), JSON.stringify(job));
      await rename(tmp, join(queueDir, `job_${id}`));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
