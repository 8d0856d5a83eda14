// Part of npm run bench:sync: the time of a pass with nothing to do over 1,000 delivered artifacts (100
// jobs x 10 stems, local backend), with the receipts read back from disk as after a restart.
import { join } from 'node:path';
import type { Logger } from '@imk/log';
import { ReceiptStore, createSyncEngine } from '@imk/sync';
import { writeJob } from '@imk/sync/testing';
import { timed } from './measure.ts';

export async function rerunOver1000(
  root: string,
  logger: Logger,
): Promise<{ artifacts: number; seconds: number }> {
  const rerunOutputs = join(root, 'outputs');
  for (let j = 0; j < 100; j++)
    await writeJob(rerunOutputs, {
      jobId: `job${j}`,
      artifacts: Array.from({ length: 10 }, (_, a) => ({
        path: `files/stems/s${a}.flac`,
        kind: 'stems' as const,
        variant: `s${a}`,
        size: 256,
      })),
    });
  const options = (receipts: ReceiptStore) => ({
    outputsDir: rerunOutputs,
    receipts,
    remoteRoots: { stems: join(root, 'nas') },
    backends: { nas: { type: 'local' as const, fsync: false } },
    routes: [
      { name: 'stems', match: { kind: 'stems' }, to: '${remoteRoots.stems}/{job_id}/', backend: 'nas' },
    ],
    logger,
    concurrency: 4,
  });
  const file = join(root, 'state', 'nas-sync.sqlite');
  let receipts = ReceiptStore.open({ file })!;
  await createSyncEngine(options(receipts)).runPass();
  receipts.close();
  // As after a restart: a new process state, the receipts read back from disk.
  receipts = ReceiptStore.open({ file })!;
  let delivered = -1;
  const seconds = await timed(async () => {
    const summary = await createSyncEngine(options(receipts)).runPass();
    delivered = summary.alreadyDelivered;
    if (summary.delivered !== 0) throw new Error('the re-run sent something');
  });
  receipts.close();
  return { artifacts: delivered, seconds: Number(seconds.toFixed(3)) };
}
