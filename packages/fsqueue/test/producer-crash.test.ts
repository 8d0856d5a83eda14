import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createQueue } from '../src/index.ts';
import { sleep, tempRoot } from './helpers.ts';
import { PRODUCER_SCRIPT, waitFor } from './processes.ts';

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('imk-producer-'));
});
afterEach(async () => {
  await cleanup();
});

/** A file big enough that copying, fsyncing and hashing it takes a while. */
async function bigFile(path: string, mebibytes: number): Promise<void> {
  const handle = await open(path, 'w');
  const block = Buffer.alloc(1 << 20, 7);
  for (let i = 0; i < mebibytes; i++) await handle.write(block);
  await handle.close();
}

describe('a producer killed mid-publish', () => {
  it('leaves only a .tmp folder that no consumer sees and the sweeper removes', async () => {
    const queueDir = join(root, 'queues', 'other');
    const source = join(root, 'big.wav');
    await bigFile(source, 192);
    const producer = execa(
      'node',
      ['--import', 'tsx', PRODUCER_SCRIPT, JSON.stringify({ queueDir, jobId: 'half', source })],
      {
        reject: false,
      },
    );
    const started = async (): Promise<boolean> =>
      (await readdir(queueDir).catch((): string[] => [])).includes('job_half.tmp');
    await waitFor('the producer to start its .tmp folder', started, 30_000);
    producer.kill('SIGKILL');
    const result = await producer;
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).not.toContain('published');
    expect(await readdir(queueDir)).toEqual(['job_half.tmp']);

    const queue = createQueue({ queueDir, watch: false, tmpMaxAgeMs: 1000, maintenance: false });
    try {
      expect(await queue.claim()).toBeUndefined();
      expect(await queue.counts()).toMatchObject({ ready: 0, claimed: 0, tmp: 1 });
      expect(await queue.sweepTmp()).toBe(0); // first sight: not old enough yet
      expect(await queue.claim()).toBeUndefined();
      await sleep(1100);
      expect(await queue.sweepTmp()).toBe(1);
      expect((await readdir(queueDir)).filter((name) => name.startsWith('job_'))).toEqual([]);
      expect(await queue.counts()).toMatchObject({ tmp: 0, ready: 0, succeeded: 0, failed: 0, rejected: 0 });
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('does not sweep a .tmp folder that is still changing', async () => {
    const queueDir = join(root, 'q');
    const tmp = join(queueDir, 'job_slow.tmp');
    await mkdir(tmp, { recursive: true });
    const queue = createQueue({ queueDir, watch: false, tmpMaxAgeMs: 300, maintenance: false });
    try {
      const file = await open(join(tmp, 'audio.wav'), 'w');
      for (let i = 0; i < 6; i++) {
        await file.write(Buffer.alloc(1024, i));
        expect(await queue.sweepTmp()).toBe(0);
        await sleep(100);
      }
      await file.close();
      expect(await readdir(queueDir)).toEqual(['job_slow.tmp']);
    } finally {
      await queue.close();
    }
  });
});
