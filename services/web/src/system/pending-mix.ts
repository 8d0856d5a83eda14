import { formatVariantRef } from '@imk/protocol';
import type { WebContext } from '../context.ts';
import { listFolderJobs, queueNames } from './queue-folders.ts';

/**
 * A remix job saving the mix `variant` (the one spelling, `name@-2`) of `jobId`, still waiting or running,
 * if any: a second save of that name would race it (the worker keeps whichever it runs last).
 */
export async function pendingMix(
  ctx: WebContext,
  jobId: string,
  variant: string,
): Promise<{ job_id: string; queue: string } | undefined> {
  for (const queue of await queueNames(ctx.paths.queues)) {
    const found = (await listFolderJobs(ctx.paths.queues, queue, ['ready', 'claimed'])).find(
      (f) =>
        f.remix?.of === jobId &&
        formatVariantRef({ base: f.remix.variant, pitch: f.remix.pitch, tempo: f.remix.tempo }) === variant,
    );
    if (found) return { job_id: found.job_id, queue };
  }
  return undefined;
}
