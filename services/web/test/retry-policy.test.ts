import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFailure } from '@imk/ledger/testing';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { makeFailedJob, quietLogger, tempRoot } from './helpers.ts';

let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();

// A failed job whose last error has `code`, as the worker records it (ledger row and archived folder).
async function failedWith(jobId: string, code: string): Promise<void> {
  await makeFailedJob(root, jobId);
  recordFailure(root, jobId, code);
}

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  await failedWith('job_unreadable', 'MEDIA_UNREADABLE');
  await failedWith('job_empty', 'MEDIA_EMPTY');
  await failedWith('job_crashed', 'FFMPEG_FAILED');
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});

afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

const detailOf = async (id: string) =>
  (await (await fetch(`${web.url}/api/jobs/${id}`)).json()) as { canRetry: boolean; retryAdvice?: string };

describe('Retry follows the last error code policy', () => {
  it('offers no Retry for an input that fails the same way every time, and says to replace the file', async () => {
    for (const id of ['job_unreadable', 'job_empty']) {
      const detail = await detailOf(id);
      expect(detail.canRetry, id).toBe(false);
      expect(detail.retryAdvice, id).toMatch(/replace the file/);
      const answer = await fetch(`${web.url}/api/jobs/${id}/retry`, { method: 'POST' });
      expect(answer.status, id).toBe(422);
      const body = (await answer.json()) as { error: string; message: string };
      expect(body.error).toBe('RETRY_CANNOT_HELP');
      expect(body.message).toMatch(/replace the file/);
      expect((await detailOf(id)).canRetry).toBe(false);
    }
  });

  it('offers Retry where another attempt can help (an ffmpeg crash)', async () => {
    const detail = await detailOf('job_crashed');
    expect(detail.canRetry).toBe(true);
    expect(detail.retryAdvice).toBeUndefined();
    expect((await fetch(`${web.url}/api/jobs/job_crashed/retry`, { method: 'POST' })).status).toBe(200);
  });
});
