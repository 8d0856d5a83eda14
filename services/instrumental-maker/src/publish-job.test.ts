import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { cancelJob, createQueue, publishBundle, type Queue } from '@imk/fsqueue';
import { createLogger } from '@imk/log';
import { openLedger, type Ledger } from '@imk/ledger';
import { partialDirName, type Manifest } from '@imk/protocol';
import type { WorkerContext } from './context.ts';
import { publishJob } from './publish-job.ts';
import { StageRunner } from './stage-runner.ts';

let root: string;
let queue: Queue;
let ledger: Ledger;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-publish-cancel-'));
  queue = createQueue({ queueDir: join(root, 'queues', 'other'), watch: false });
  ledger = openLedger({ root });
});
afterEach(async () => {
  ledger.close();
  await queue.close();
  await rm(root, { recursive: true, force: true });
});

// The publish stage's last look before its one rename finds a cancel asked for (from any host, through the
// claim folder) that the job's own signal has not heard of yet: the job stops there, as at any other stage.
// It failed the stage with CLAIM_LOST ("the claim … was lost"), recorded as `failed` in the job's stages.
describe('a cancel that reaches the publish stage before its rename', () => {
  it('publishes nothing, leaves no partial folder, and the stage is stopped, not failed', async () => {
    await writeFile(join(root, 'a.wav'), 'RIFF');
    await publishBundle({
      queueDir: join(root, 'queues', 'other'),
      job: { job_id: 'pub', source_type: 'local', title: 'Pub', audio_path: 'a.wav' },
      files: [{ name: 'a.wav', source: join(root, 'a.wav') }],
    });
    const claim = (await queue.claim())!;
    ledger.recordState(
      'pub',
      { state: 'running', attempt: 1, consumer: 'test', message: 'claimed' },
      { queue: 'other' },
    );
    const outputs = join(root, 'outputs');
    const partialDir = join(outputs, partialDirName('pub', 'test'));
    await mkdir(partialDir, { recursive: true });
    await writeFile(join(partialDir, 'Pub (instrumental).wav'), 'made');
    await cancelJob(join(root, 'queues', 'other'), 'pub', { reason: 'wrong song', by: 'imk cancel' });
    const logger = createLogger('test', { level: 'silent' });
    const ctx = { paths: { outputs } } as WorkerContext;
    const stages = new StageRunner(ledger, 'pub', 1, 'test', new AbortController().signal);
    const error: unknown = await stages
      .run('publish', () =>
        publishJob(
          { ctx, claim, logger },
          {
            jobId: 'pub',
            partialDir,
            manifest: { job_id: 'pub' } as Manifest,
            kind: 'processed',
            inputSha256: '0'.repeat(64),
          },
        ),
      )
      .catch((e: unknown) => e);
    expect(isImkError(error, 'CANCELLED'), String(error)).toBe(true);
    expect(String(error)).toContain(
      'job pub was cancelled before its outputs were published; nothing was published',
    );
    expect(await readdir(outputs)).toEqual([]);
    expect(ledger.getJob('pub')?.stages).toMatchObject([{ stage: 'publish', outcome: 'stopped' }]);
    // The claim is then archived as cancelled by its holder (process-job's settleFailure), stage publish.
    await claim.cancel('publish');
    expect(await readdir(join(root, 'queues', 'other', 'cancelled'))).toEqual(['job_pub']);
  });
});
