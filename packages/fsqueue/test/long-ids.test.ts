import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobWorkDirName, partialDirName } from '@imk/protocol';
import { createQueue, listClaimHolders, publishBundle, retryFailed } from '../src/index.ts';
import { tempRoot } from './helpers.ts';

let cleanup: () => Promise<void>;
let queueDir: string;
beforeEach(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot());
  queueDir = join(root, 'queues', 'other');
});
afterEach(async () => cleanup());

// The longest job id the protocol allows, and the longest consumer id (a worker on a host with a long name).
const ID = 'x'.repeat(200);
const CONSUMER = `${'k8s-worker-node-'.repeat(3)}12345-abcdef0123`.slice(0, 64);

async function publish(): Promise<void> {
  await publishBundle({
    queueDir,
    job: { job_id: ID, source_type: 'local', audio_path: 'a.wav' },
    files: [{ name: 'a.wav', data: 'x' }],
  });
}

describe('a 200-character job id taken by a consumer with a 64-character id', () => {
  it('is claimed, failed, retried and completed: every folder name fits in 255 bytes', async () => {
    expect(CONSUMER).toHaveLength(64);
    await publish();
    const queue = createQueue({ queueDir, watch: false, consumerId: CONSUMER, maxAttempts: 1 });
    try {
      const claim = await queue.claim();
      expect(claim?.jobId).toBe(ID);
      const [claimed] = await readdir(join(queueDir, 'claimed'));
      expect(Buffer.byteLength(claimed!)).toBeLessThanOrEqual(255);
      // The worker's partial and scratch folders fit too, and cleanup (which knows the holder only from the
      // claim's name) computes the same names, so it keeps them while the job runs.
      const [holder] = await listClaimHolders(queueDir);
      for (const name of [partialDirName, jobWorkDirName]) {
        expect(Buffer.byteLength(name(ID, CONSUMER))).toBeLessThanOrEqual(255);
        expect(name(ID, holder!.consumer)).toBe(name(ID, CONSUMER));
      }
      expect(await claim!.fail({ stage: 'decode', message: 'boom', retryable: false })).toBe('failed');
      await retryFailed(queueDir, ID);
      const again = await queue.claim();
      expect(again?.jobId).toBe(ID);
      await again!.complete();
      expect(await readdir(join(queueDir, 'succeeded'))).toEqual([`job_${ID}`]);
    } finally {
      await queue.close();
    }
  });
});
