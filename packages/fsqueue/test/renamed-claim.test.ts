import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createQueue, findJob, type Queue } from '../src/index.ts';
import { publishTiny, sleep, tempRoot } from './helpers.ts';

// A user renamed a claimed job's folder (a file manager's rename or "copy", or back to job_<id>): its name
// no longer had the job_<id>@<token> shape, and every observer skipped it for good. The job was never run
// again, never counted, never said.
let root: string;
let cleanup: () => Promise<void>;
let queueDir: string;
const queues: Queue[] = [];
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot());
  queueDir = join(root, 'queues', 'other');
});
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  await cleanup();
});

const LEASE_MS = 300;

function open(consumerId: string, options: Partial<Parameters<typeof createQueue>[0]> = {}): Queue {
  const queue = createQueue({
    queueDir,
    watch: false,
    consumerId,
    leaseMs: LEASE_MS,
    maintenance: false,
    ...options,
  });
  queues.push(queue);
  return queue;
}

/** Claims job `id` with a consumer that then stops (its heartbeat with it), and renames the claim folder to `to`. */
async function renamedClaim(id: string, to: string): Promise<void> {
  await publishTiny(queueDir, id);
  const holder = open(`holder-${id.length}`);
  const claim = await holder.claim();
  expect(claim?.jobId).toBe(id);
  await holder.close();
  const claimed = join(queueDir, 'claimed');
  const [name] = (await readdir(claimed)).filter((n) => n.startsWith(`job_${id}@`));
  await rename(join(claimed, name!), join(claimed, to));
}

/** Looks with `observer` every 50 ms until `want` claims were taken back (10 s at most). */
async function recover(observer: Queue, want: number): Promise<number> {
  let total = 0;
  const deadline = performance.now() + 10_000;
  while (total < want && performance.now() < deadline) {
    total += await observer.recoverExpired();
    await sleep(50);
  }
  return total;
}

describe('a claim folder renamed so that it is no claim name', () => {
  it.each([['my song (stuck)'], ['job_stuck1'], ['Copy of job_stuck1@holder.1a2b']])(
    'goes back to ready once no one heartbeats it (renamed to %s), and runs again',
    async (to) => {
      await renamedClaim('stuck1', to);
      const observer = open('observer');
      expect(await recover(observer, 1)).toBe(1);
      expect((await findJob(queueDir, 'stuck1'))?.state).toBe('ready');
      const again = await observer.claim();
      expect(again).toMatchObject({ jobId: 'stuck1', attempt: 2 });
      await again!.complete();
      expect((await findJob(queueDir, 'stuck1'))?.state).toBe('succeeded');
    },
  );

  it('one without a job.json to say its job is said in the log, once, and left as it is', async () => {
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = createLogger('test', { level: 'warn', destination: out });
    const claimed = join(queueDir, 'claimed');
    await mkdir(join(claimed, 'my folder'), { recursive: true });
    await writeFile(join(claimed, 'my folder', 'notes.txt'), 'x');
    // A job.json that is a FIFO is not opened (a read would block for ever).
    await mkdir(join(claimed, 'fifo job'));
    execFileSync('mkfifo', [join(claimed, 'fifo job', 'job.json')]);
    const observer = open('observer', { logger });
    await recover(observer, 0);
    for (let i = 0; i < 8; i++) {
      expect(await observer.recoverExpired()).toBe(0);
      await sleep(50);
    }
    const said = lines.filter((line) => line.includes('is no claim'));
    expect(said).toHaveLength(2);
    expect(said.join('\n')).toContain('claimed/my folder in queue other is no claim');
    expect((await readdir(claimed)).sort()).toEqual(['fifo job', 'my folder']);
  });
});
