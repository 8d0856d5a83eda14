import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { dataFolderProblem, type DataFolder } from '@imk/config';
import { errorMessage } from '@imk/errors';
import { redactText } from '@imk/log';
import type { WebContext } from '../context.ts';

interface Check {
  name: string;
  ok: boolean;
  /** Runs, but cannot do all of its work (a service without deemix, without routes…). */
  degraded?: boolean;
  detail?: string;
  reasons?: string[];
}

/** A probe creates nothing: a missing data folder is reported (see dataFolderProblem), not made. */
async function dataFolder(ctx: WebContext, which: DataFolder): Promise<Check> {
  const problem = await dataFolderProblem(ctx.paths, which);
  return problem === undefined ? { name: which, ok: true } : { name: which, ok: false, detail: problem };
}

/** state/ is this host's own (never a share): fine when it, or the folder it will be made in, is writable. */
async function stateWritable(dir: string): Promise<Check> {
  let at = dir;
  for (;;) {
    try {
      await access(at, constants.W_OK);
      return { name: 'state', ok: true };
    } catch (error) {
      const parent = dirname(at);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at)
        return { name: 'state', ok: false, detail: `${dir} is not writable: ${errorMessage(error)}` };
      at = parent;
    }
  }
}

/**
 * /healthz: the process answers. /readyz: folders writable (and none created: a placed folder that is
 * missing, such as an unmounted share, is a failed check naming it), ledger readable, no service failed; a degraded
 * service (running, but missing deemix, an ARL, a route…) is still ready and is reported as degraded with
 * its reasons. A caller without the token (when one is set) gets booleans only: texts may name paths and
 * settings, and they are not for anyone who can reach the port.
 */
export function registerHealthRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/healthz', () => Promise.resolve({ ok: true }));
  app.get('/readyz', async (request, reply) => {
    const checks: Check[] = [
      await dataFolder(ctx, 'queues'),
      await dataFolder(ctx, 'outputs'),
      await stateWritable(ctx.paths.state),
    ];
    try {
      ctx.jobs.ledger()?.listJobs({ limit: 1 });
      checks.push({
        name: 'ledger',
        ok: ctx.jobs.ledger() !== undefined,
        detail: ctx.jobs.ledger()
          ? undefined
          : `the job ledger could not be opened: ${ctx.jobs.ledgerProblem() ?? 'unknown error'}`,
      });
    } catch (error) {
      checks.push({ name: 'ledger', ok: false, detail: errorMessage(error) });
    }
    for (const service of ctx.services())
      checks.push({
        name: `service:${service.name}`,
        ok: service.state !== 'failed',
        degraded: service.state === 'degraded',
        detail: service.detail,
        reasons: service.reasons,
      });
    const guard = ctx.diskGuard?.status();
    // Low disk pauses claiming but the system still serves: reported, not a readiness failure.
    const ready = checks.every((c) => c.ok);
    const degraded = checks.some((c) => c.degraded === true);
    const status = ready ? (degraded ? 'degraded' : 'ok') : 'failed';
    if (ctx.access(request) === undefined)
      return reply.code(ready ? 200 : 503).send({
        ready,
        degraded,
        checks: checks.map((c) => ({ name: c.name, ok: c.ok, degraded: c.degraded === true })),
        diskGuard: guard ? { claiming: guard.claiming } : undefined,
      });
    return reply.code(ready ? 200 : 503).send({
      ready,
      degraded,
      status,
      checks: checks.map((c) => ({
        ...c,
        ...(c.detail !== undefined && { detail: redactText(c.detail) }),
        ...(c.reasons !== undefined && { reasons: c.reasons.map(redactText) }),
      })),
      diskGuard: guard ? { claiming: guard.claiming, reason: guard.reason } : undefined,
    });
  });
}
