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
