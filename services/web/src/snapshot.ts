import type { ServiceState } from '@imk/service';
import type { WebContext } from './context.ts';
import type { NamedQueueCounts } from '@imk/fsqueue';
import { redactText } from '@imk/log';
import { outputsNotListed } from '@imk/protocol';
import { systemChecks } from './system/health-checks.ts';
import { countAllQueues } from './system/queue-folders.ts';
import type { JobSummary } from './system/jobs.ts';

export interface Snapshot {
  queues: NamedQueueCounts[];
  /** The newest jobs, at most the limit (100). */
  jobs: JobSummary[];
  /** How many jobs `jobs` was cut from (see JobsView.listCounted): "the newest 100 of 5,300 jobs". */
  jobsTotal: number;
  diskGuard:
    | {
        claiming: boolean;
        reason: string | undefined;
        lowestFreeBytes: number | undefined;
        path: string | undefined;
      }
    | undefined;
  services: ServiceState[];
  /**
   * What /readyz fails on besides a service (queues/, outputs/, state/, the ledger), each with what to do;
   * and each folder of outputs/ that cannot be listed (a name that is not UTF-8: name "outputs"), which
   * /readyz does not fail on.
   */
  problems: { name: string; detail: string }[];
}

/** What the dashboard's overview shows; sent on load and through server-sent events when it changes. */
export async function takeSnapshot(ctx: WebContext, limit = 100): Promise<Snapshot> {
  const guard = ctx.diskGuard?.status();
  const { jobs, total } = await ctx.jobs.listCounted({ limit });
  return {
    queues: await countAllQueues(ctx.paths.queues),
    jobs,
    jobsTotal: total,
    diskGuard: guard && {
      claiming: guard.claiming,
      reason: guard.reason,
      lowestFreeBytes: guard.lowest?.freeBytes,
      path: guard.lowest?.path,
    },
    services: ctx.services(),
    problems: [
      ...(await systemChecks(ctx))
        .filter((check) => !check.ok)
        .map((check) => ({ name: check.name, detail: redactText(check.detail ?? 'failed') })),
      ...(await outputsNotListed(ctx.paths.outputs).catch(() => [])).map((detail) => ({
        name: 'outputs',
        detail,
      })),
    ],
  };
}
