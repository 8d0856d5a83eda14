import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { createQueue, findJob, retryFailed, type Queue } from '../src/index.ts';
import { publishTiny, tempRoot } from './helpers.ts';

let cleanup: () => Promise<void>;
let queueDir: string;
let queue: Queue;

beforeEach(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot());
  queueDir = join(root, 'queues', 'other');
  queue = createQueue({ queueDir, watch: false, maxAttempts: 1 });
});
afterEach(async () => {
  await queue.close();
  await cleanup();
});

async function resubmit(id: string): Promise<string> {
  const error: unknown = await publishTiny(queueDir, id).catch((e: unknown) => e);
  if (!isImkError(error, 'JOB_EXISTS')) throw new Error(`expected JOB_EXISTS, got ${String(error)}`);
  return error.message;
}

describe('a job submitted again under an id the queue already holds', () => {
  it('says what became of the first one and a way forward that works, in every state', async () => {
    await publishTiny(queueDir, 'running');
    const running = await queue.claim();
    expect(running?.jobId).toBe('running');
    expect(await resubmit('running')).toMatch(/^job running is being processed now: \/.*claimed/);

    await publishTiny(queueDir, 'queued');
    expect(await resubmit('queued')).toMatch(/^job queued is already queued and waits for a worker: \//);

    const done = await queue.claim();
    await done!.complete();
    const succeeded = await resubmit('queued');
    expect(succeeded).toContain('was already processed (its outputs are in outputs/queued)');
    expect(succeeded).toContain('choose another job id');
    // imk retry refuses a succeeded job: it must not be the advice.
    expect(succeeded).not.toContain('imk retry');
    await expect(retryFailed(queueDir, 'queued')).rejects.toSatisfy((e) => isImkError(e, 'JOB_NOT_FAILED'));

    await publishTiny(queueDir, 'invalid');
    await (await queue.claim())!.reject([{ path: 'title', message: 'bad' }]);
    const rejected = await resubmit('invalid');
    expect(rejected).toContain('was rejected as invalid (the reason is in imk-rejection.json)');
    expect(rejected).not.toContain('imk retry');

    await running!.fail({ stage: 'decode', message: 'boom', retryable: false });
    const failed = await resubmit('running');
    expect(failed).toContain('failed earlier');
    expect(failed).toContain('`imk retry running` runs it again');
    // ... and that advice works.
    await retryFailed(queueDir, 'running');
    expect(await findJob(queueDir, 'running')).toMatchObject({ state: 'ready' });
  });
});
