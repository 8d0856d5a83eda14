import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordFailure } from '@imk/ledger/testing';
import { retryCommand } from '../src/actions/retry.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A root with job `jobId` failed in queue `other`, its last error of `code` (as the worker records it). */
async function failedWith(jobId: string, code: string): Promise<{ root: string; failedDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'imk-retry-'));
  roots.push(root);
  const failedDir = join(root, 'queues', 'other', 'failed');
  const dir = join(failedDir, `job_${jobId}@w1.abc`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({ job_id: jobId, source_type: 'local', artist: 'A', title: 'B', audio_path: 'a.wav' }),
  );
  await writeFile(
    join(dir, 'imk-error.json'),
    JSON.stringify({ stage: 'decode', message: `it failed [${code}]`, attempt: 1 }),
  );
  recordFailure(root, jobId, code);
  return { root, failedDir };
}

describe('imk retry follows the last error code policy', () => {
  it.each(['MEDIA_UNREADABLE', 'SIDECAR_INVALID'])(
    'warns, for a job that failed with %s, that a retry fails the same way unless the file is replaced, and does as asked',
    async (code) => {
      const { root, failedDir } = await failedWith('job_x', code);
      const said: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = (chunk: string) => (said.push(String(chunk)), true);
      try {
        await retryCommand('job_x', { root });
      } finally {
        process.stderr.write = write;
      }
      expect(said.join('')).toMatch(new RegExp(`warning: ${code} .*replace the file.*Retried as asked`));
      expect(await readdir(failedDir)).toEqual([]);
      expect(await readdir(join(root, 'queues', 'other'))).toContain('job_job_x');
    },
  );
});
