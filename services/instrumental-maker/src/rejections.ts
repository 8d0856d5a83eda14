import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '@imk/errors';
import { REJECTED_DIR, REJECTION_FILE, parseReadyName, parseTokenName } from '@imk/fsqueue';
import type { WorkerContext } from './context.ts';
import type { WorkerQueue } from './worker.ts';

/**
 * The queue rejects invalid bundles inside claim(), so the worker never holds them. This notes each newly
 * rejected bundle in the ledger (state `rejected`, with the problems from imk-rejection.json) so that
 * `imk jobs` and the dashboard show it. Folders already known at start-up are only noted if the ledger
 * has never heard of them.
 */
export function createRejectionRecorder(ctx: WorkerContext, queues: WorkerQueue[]) {
  const seen = new Set<string>();
  return async function recordRejections(): Promise<void> {
    for (const { name, queue } of queues) {
      const dir = join(queue.queueDir, REJECTED_DIR);
      let names: string[];
      try {
        // Names only: cheap even when the archive is large; only new names are read.
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          ctx.logger.debug({ queue: name, err: errorMessage(error) }, 'cannot list rejected bundles');
        continue;
      }
      for (const folder of names) {
        if (seen.has(`${name}/${folder}`)) continue;
        seen.add(`${name}/${folder}`);
        const jobId = parseTokenName(folder)?.jobId ?? parseReadyName(folder);
        if (jobId === undefined) continue;
        const entry = { jobId, dir: join(dir, folder) };
        const known = ctx.ledger.getJob(entry.jobId)?.job;
        if (known?.state === 'rejected') continue;
        let message = 'the bundle is invalid';
        try {
          const doc = JSON.parse(await readFile(join(entry.dir, REJECTION_FILE), 'utf8')) as {
            problems?: { path: string; message: string }[];
          };
          if (doc.problems?.length) message = doc.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
        } catch {
          // No readable reasons file: the generic message stands.
        }
        ctx.ledger.recordState(
          entry.jobId,
          { state: 'rejected', stage: 'validate', message },
          { queue: name },
        );
        ctx.ledger.recordError(entry.jobId, { stage: 'validate', message, code: 'BUNDLE_REJECTED' });
      }
    }
  };
}
