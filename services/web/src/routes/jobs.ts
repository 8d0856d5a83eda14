import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorMessage, httpStatusOf, isImkError, retryAdviceOf } from '@imk/errors';
import { CANCEL_REASON_MAX } from '@imk/fsqueue';
import type { JobActionResponse, JobDetailResponse, JobListResponse, StatusResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { takeSnapshot } from '../snapshot.ts';
import { engineFacts } from '../system/engine-facts.ts';
import { readOutput } from '../system/outputs.ts';
import { isJobId, isOutputName } from '../system/safe-path.ts';
import { replyError } from '../errors.ts';

/** JSON API: overview, job list, job detail, retry, cancel. */
export function registerJobRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/api/status', async (): Promise<StatusResponse> => takeSnapshot(ctx));

  // The newest `limit` jobs (300 unless asked); X-Total-Count says how many there are, so that a reader
  // can say "the newest 300 of 5,300" rather than nothing when the list was cut.
  app.get<{ Querystring: { state?: string; limit?: string } }>(
    '/api/jobs',
    async (request, reply): Promise<JobListResponse> => {
      const limit = Math.min(Math.max(Number(request.query.limit ?? 300) || 300, 1), 5000);
      const { jobs, total } = await ctx.jobs.listCounted({ state: request.query.state, limit });
      void reply.header('X-Total-Count', String(total));
      return jobs;
    },
  );

  app.get<{ Params: { id: string } }>('/api/jobs/:id', async (request, reply) => {
    const { id } = request.params;
    // The earlier version's folder names (spaces, non-ASCII) are shown too: its library, read-only.
    if (!isOutputName(id)) return replyError(reply, 'BAD_JOB_ID', { message: `"${id}" is not a job id` });
    const detail = await ctx.jobs.detail(id);
    const output = await readOutput(ctx.paths.outputs, id);
    if (!detail && !output)
      return replyError(reply, 'JOB_NOT_FOUND', {
        message: `no job ${id} in the ledger, the queues or outputs/`,
      });
    const failed = detail?.summary.state === 'failed' || detail?.summary.state === 'cancelled';
    // By the last error's code policy: no Retry where the same job fails the same way (unreadable media).
    const advice =
      failed && detail.summary.state === 'failed'
        ? retryAdviceOf(detail.ledger?.errors.at(-1)?.code ?? undefined)
        : undefined;
    return {
      ...detail,
      output,
      engine: engineFacts(output?.manifest),
      sync: await ctx.sync.forJob(id),
      syncEnabled: await ctx.sync.enabled(),
      canRetry: ctx.retry !== undefined && failed && advice?.canRetry !== false,
      retryAdvice: advice?.advice,
      canCancel:
        ctx.cancel !== undefined &&
        (detail?.folders.some((f) => f.state === 'ready' || f.state === 'claimed') ?? false),
    } satisfies JobDetailResponse;
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/retry', async (request, reply) => {
    const { id } = request.params;
    if (!isJobId(id)) return replyError(reply, 'BAD_JOB_ID', { message: `"${id}" is not a job id` });
    if (!ctx.retry)
      return replyError(reply, 'RETRY_UNAVAILABLE', {
        message: 'retry is not available: the queue service is not installed',
      });
    try {
      const result = await ctx.retry(id);
      ctx.logger.info({ job_id: id, ...result }, 'job put back into its queue from the dashboard');
      return { ok: true, job_id: id, ...result } satisfies JobActionResponse;
    } catch (error) {
      return refused(reply, error, 'RETRY_FAILED');
    }
  });

  app.post<{ Params: { id: string }; Body: { reason?: unknown } | undefined }>(
    '/api/jobs/:id/cancel',
    async (request, reply) => {
      const { id } = request.params;
      if (!isJobId(id)) return replyError(reply, 'BAD_JOB_ID', { message: `"${id}" is not a job id` });
      if (!ctx.cancel)
        return replyError(reply, 'CANCEL_UNAVAILABLE', {
          message: 'cancel is not available: the queue service is not installed',
        });
      const reason = request.body?.reason;
      if (reason !== undefined && (typeof reason !== 'string' || reason.length > CANCEL_REASON_MAX))
        return replyError(reply, 'INVALID_REQUEST', {
          message: `reason must be a text of at most ${CANCEL_REASON_MAX} characters`,
        });
      try {
        const result = await ctx.cancel(id, reason);
        ctx.logger.info({ job_id: id, ...result }, 'job cancelled from the dashboard');
        return reply
          .code(result.state === 'cancelled' ? 200 : 202)
          .send({ ok: true, job_id: id, ...result } satisfies JobActionResponse);
      } catch (error) {
        return refused(reply, error, 'CANCEL_FAILED');
      }
    },
  );
}

/**
 * An action on a job that the queue refused, with the status its code's catalogue gives (JOB_NOT_FOUND 404,
 * a job in the wrong state 409); another ImkError: 409.
 */
function refused(reply: FastifyReply, error: unknown, fallback: string): FastifyReply {
  const code = isImkError(error) ? error.code : fallback;
  const status = httpStatusOf(error) ?? (isImkError(error) ? 409 : 500);
  return reply.code(status).send({ error: code, message: errorMessage(error) });
}
