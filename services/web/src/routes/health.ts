import type { FastifyInstance } from 'fastify';
import { redactText } from '@imk/log';
import type { WebContext } from '../context.ts';
import { systemChecks, type Check } from '../system/health-checks.ts';

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
    const checks: Check[] = await systemChecks(ctx);
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
