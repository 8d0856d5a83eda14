import { formatVariantRef, sameMixFile, type VariantKey } from '@imk/protocol';
import type { WebContext } from '../context.ts';
import { listFolderJobs, queueNames } from './queue-folders.ts';

/**
 * A remix job saving a mix of `job` to the file `mix` would be written to, still waiting or running, if
 * any: a second save would race it (the worker keeps whichever it runs last). Compared by the file the
 * worker writes (sameMixFile), not by name: tempo 0.8999 and 0.9 are both "(90% tempo)". Its `variant`
 * is that job's spelling (`name@-2`).
 */
export async function pendingMix(
  ctx: WebContext,
  job: { job_id: string; artist?: string | null; title?: string | null },
  mix: VariantKey,
): Promise<{ job_id: string; queue: string; variant: string } | undefined> {
  for (const queue of await queueNames(ctx.paths.queues)) {
    for (const f of await listFolderJobs(ctx.paths.queues, queue, ['ready', 'claimed'])) {
      if (f.remix?.of !== job.job_id) continue;
      const other = { base: f.remix.variant, pitch: f.remix.pitch, tempo: f.remix.tempo };
      if (sameMixFile(job, other, mix)) return { job_id: f.job_id, queue, variant: formatVariantRef(other) };
    }
  }
  return undefined;
}
