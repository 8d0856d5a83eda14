import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '@imk/errors';
import type { WebContext } from '../context.ts';

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

async function writable(name: string, dir: string): Promise<Check> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, detail: `${dir} is not writable: ${errorMessage(error)}` };
  }
}

/** /healthz: the process answers. /readyz: folders writable, ledger readable, no service failed. */
export function registerHealthRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/healthz', () => Promise.resolve({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    const checks: Check[] = [
      await writable('queues', ctx.paths.queues),
      await writable('outputs', ctx.paths.outputs),
      await writable('state', ctx.paths.state),
    ];
    try {
      ctx.jobs.ledger()?.listJobs({ limit: 1 });
      checks.push({
        name: 'ledger',
        ok: ctx.jobs.ledger() !== undefined,
        detail: ctx.jobs.ledger() ? undefined : 'the job ledger could not be opened',
      });
    } catch (error) {
      checks.push({ name: 'ledger', ok: false, detail: errorMessage(error) });
    }
    for (const service of ctx.services())
      checks.push({
        name: `service:${service.name}`,
        ok: service.state !== 'failed',
        detail: service.detail,
      });
    const guard = ctx.diskGuard?.status();
    // Low disk pauses claiming but the system still serves: reported, not a readiness failure.
    const ready = checks.every((c) => c.ok);
    return reply.code(ready ? 200 : 503).send({
      ready,
      checks,
      diskGuard: guard ? { claiming: guard.claiming, reason: guard.reason } : undefined,
    });
  });
}
