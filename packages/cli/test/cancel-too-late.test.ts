import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathExists } from '@imk/fs-safe';
import { CANCEL_REQUEST_FILE, createQueue } from '@imk/fsqueue';
import { sineFile } from '@imk/media/testing';
import { IMK } from './imk-bin.ts';
import { imkInProcess } from './in-process.ts';

// A running job's outputs appear by one rename (manifest inside): once that is done, a cancel cannot take
// it back. `imk cancel` said only "ended as succeeded before its worker saw the cancel (<archive>)": not
// where the song now is, nor what to do. The holder here does what the worker does after that rename (it
// looks once more, sees the request, and completes with the output folder it published).
describe('imk cancel of a job whose outputs were already published', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-cancel-late-'));
    await sineFile(join(root, 'song.wav'), { channels: 1 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const imk = (...args: string[]) =>
    execa(IMK, [...args, '--root', root], { reject: false, env: { IMK_LOG_LEVEL: 'error' } });
  const said = (outputs: string) =>
    `Its outputs are in ${outputs}; remove that folder yourself if the song should not be in the library`;

  /** A job claimed as a worker would; `publish` does what the worker does once its outputs are renamed into place. */
  async function claimed(title: string) {
    const enqueued = await imkInProcess('enqueue', join(root, 'song.wav'), '--title', title, '--root', root);
    const id = enqueued.stdout.trim();
    const queue = createQueue({ queueDir: join(root, 'queues', 'other'), watch: false });
    const claim = (await queue.claim())!;
    expect(claim.jobId).toBe(id);
    const outputs = join(root, 'outputs', id);
    const requested = () => pathExists(join(claim.dir, CANCEL_REQUEST_FILE));
    const publish = async () => {
      await mkdir(outputs, { recursive: true });
      await writeFile(join(outputs, 'manifest.json'), '{}');
      // Its last look finds the request: too late, it completes with the folder it published.
      expect(await claim.confirm()).toBe(false);
      expect(claim.cancelRequested()).toBe(true);
      await claim.complete({ output_dir: outputs, kind: 'processed' });
    };
    return { id, queue, outputs, requested, publish };
  }

  it('is refused as too late, naming the job and where its outputs are kept', async () => {
    const job = await claimed('Late');
    try {
      const cancel = imk('cancel', job.id, '--wait', '60');
      for (let i = 0; i < 600 && !(await job.requested()); i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await job.requested()).toBe(true);
      await job.publish();
      const result = await cancel;
      expect(result.exitCode).toBe(1);
      // Said either way the race went: the job finished while the request was still being written (the
      // cancel then finds it succeeded), or after (the wait sees it end as succeeded).
      expect(result.stderr).toMatch(
        new RegExp(
          `job ${job.id} (was already published when its worker saw the cancel, too late to stop it: it succeeded|has succeeded already)`,
        ),
      );
      expect(result.stderr).toContain(said(job.outputs));
    } finally {
      await job.queue.close();
    }
  }, 60_000);

  it('a cancel of a job that succeeded says where its outputs are', async () => {
    const job = await claimed('Done');
    try {
      const asked = await imk('cancel', job.id, '--wait', '0');
      expect(asked.exitCode, asked.stderr).toBe(0);
      await job.publish();
      const again = await imk('cancel', job.id);
      expect(again.exitCode).toBe(1);
      expect(again.stderr).toContain(
        `job ${job.id} has succeeded already (${join(root, 'queues', 'other', 'succeeded', `job_${job.id}`)}); only a ready or running job can be cancelled. ${said(job.outputs)}`,
      );
      expect(again.stderr).toContain('JOB_NOT_CANCELLABLE');
    } finally {
      await job.queue.close();
    }
  }, 60_000);
});
