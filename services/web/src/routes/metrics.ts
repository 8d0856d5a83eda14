import type { FastifyInstance } from 'fastify';
import { errorMessage } from '@imk/errors';
import type { WebContext } from '../context.ts';
import { createMetrics, type StageTiming } from '../metrics.ts';
import { countAllQueues } from '../system/queue-folders.ts';

/** Prometheus /metrics: jobs by state, stage durations, queue depth, sync deliveries and failures, disk. */
export function registerMetricsRoute(app: FastifyInstance, ctx: WebContext): void {
  let lastStageId = 0;
  const registry = createMetrics({
    queues: () => countAllQueues(ctx.paths.queues),
    jobsByState() {
      const db = ctx.jobs.ledger()?.db;
      if (!db) return {};
      const rows = db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as {
        state: string;
        n: number;
      }[];
      return Object.fromEntries(rows.map((r) => [r.state, r.n]));
    },
    newStageTimings() {
      const db = ctx.jobs.ledger()?.db;
      if (!db) return [];
      const rows = db
        .prepare('SELECT id, stage, outcome, duration_sec FROM stages WHERE id > ? ORDER BY id LIMIT 50000')
        .all(lastStageId) as (StageTiming & { id: number })[];
      lastStageId = rows.at(-1)?.id ?? lastStageId;
      return rows;
    },
    syncCounts: () => ctx.sync.counts(),
    diskGuard: () => ctx.diskGuard?.status(),
  });
  app.get('/metrics', async (_request, reply) => {
    try {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    } catch (error) {
      ctx.logger.error({ err: errorMessage(error) }, 'metrics collection failed');
      return reply
        .code(500)
        .type('text/plain')
        .send(`# metrics collection failed: ${errorMessage(error)}\n`);
    }
  });
}
