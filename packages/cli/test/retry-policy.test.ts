import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
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
  const ledger = openLedger({ root });
  try {
    ledger.recordState(jobId, { state: 'running', attempt: 1 }, { queue: 'other' });
    ledger.recordError(jobId, {
      stage: 'decode',
      message: `it failed [${code}]`,
      attempt: 1,
      code,
      retryable: false,
    });
    ledger.recordState(jobId, { state: 'failed', attempt: 1 });
  } finally {
    ledger.close();
  }
  return { root, failedDir };
}

describe('imk retry follows the last error code policy', () => {
  it.each(['MEDIA_UNREADABLE', 'SIDECAR_INVALID'])(
    'refuses a job that failed with %s, saying to replace the file, and leaves it failed',
    async (code) => {
      const { root, failedDir } = await failedWith('job_x', code);
      await expect(retryCommand('job_x', { root })).rejects.toMatchObject({
        code: 'RETRY_CANNOT_HELP',
        message: expect.stringMatching(/replace the file/),
      });
      expect(await readdir(failedDir)).toEqual(['job_job_x@w1.abc']);
    },
  );
});
