import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { errorMessage, httpStatusOf, isImkError, oneIssuePerField } from '@imk/errors';
import type { Logger } from '@imk/log';
import { writeUrlRequestFile } from './url-request-file.ts';
import {
  FETCH_MODES,
  linkWithoutCredentials,
  pickRetriever,
  type FetchFailure,
  type FetchResult,
  type FetchSkip,
  type UrlRetriever,
} from './url-retriever.ts';

export interface RetrieverRoutesOptions {
  /** Folder holding queues/, config/, state/, requests/. */
  root: string;
  logger: Logger;
  /** The URL retrievers, in order (the first that takes a URL wins); the CLI composes the list. */
  retrievers: readonly UrlRetriever[];
  /**
   * The server's stop: a fetch under way is stopped with it and publishes nothing (its connection is closed
   * under it, so the caller would never hear of a job queued). @default none
   */
  signal?: AbortSignal | undefined;
}

/** POST /api/requests, 200: what was fetched (the dashboard's page reads it: services/web/src/api-types.ts). */
export interface UrlRequestResponse {
  retriever: string;
  url: string;
  job_ids: string[];
  jobs: { job_id: string; queue: string; title: string | undefined }[];
  skipped: FetchSkip[];
  failures: FetchFailure[];
  warnings: string[];
}

/** POST /api/requests with `wait: false`, 202: the URL was left as a request file for the running retriever. */
export interface UrlRequestAcceptedResponse {
  accepted: true;
  retriever: string;
  request_file: string;
}

const RequestBodySchema = z.object({
  url: z.string().min(1),
  mode: z.enum(FETCH_MODES).optional(),
  /** false: answer 202 at once and leave the URL as a request file for the running retriever. */
  wait: z.boolean().default(true),
});

/**
 * POST /api/requests `{ url, mode?: "audio"|"video"|"both", wait?: boolean }`: fetches the URL with the
 * retriever that takes it and answers with the job ids (200), or a clear error `{ error, message }`
 * (400 bad request, 422 the link cannot be fetched, 502 network, 503 a tool or secret is missing).
 * With `wait: false` it answers 202 and leaves a request file for the running retriever instead.
 */
export const retrieverRoutes: FastifyPluginAsync<RetrieverRoutesOptions> = (app, options) => {
  const { retrievers } = options;
  app.post('/api/requests', async (request, reply) => {
    const parsed = RequestBodySchema.safeParse(request.body ?? {});
    if (!parsed.success)
      return sendError(
        reply,
        400,
        'INVALID_REQUEST',
        `expected JSON { "url": "https://…", "mode": "audio"|"video"|"both" }: ${oneIssuePerField(
          parsed.error.issues,
          RequestBodySchema,
        )
          .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
          .join('; ')}`,
      );
    const { url, mode, wait } = parsed.data;
    let picked;
    try {
      picked = pickRetriever(retrievers, url);
    } catch (error) {
      return sendError(reply, 400, isImkError(error) ? error.code : 'INVALID_URL', errorMessage(error));
    }
    if (!wait) {
      const folder = await picked.retriever.requestFolder(options.root);
      const file = await writeUrlRequestFile(folder, picked.url.href, mode);
      return reply.code(202).send({
        accepted: true,
        retriever: picked.retriever.name,
        request_file: file,
      } satisfies UrlRequestAcceptedResponse);
    }
    try {
      const result = await picked.retriever.fetch(picked.url.href, {
        root: options.root,
        logger: options.logger,
        mode,
        signal: options.signal,
      });
      return reply.code(200).send(toResponse(result));
    } catch (error) {
      if (options.signal?.aborted) {
        const said = `the service stopped while ${linkWithoutCredentials(picked.url.href)} was fetched: its download was stopped and nothing half-done was kept; send the request again once the service is back (whatever of it was queued already is skipped)`;
        options.logger.info({ url: linkWithoutCredentials(picked.url.href) }, said);
        return sendError(reply, 503, 'ABORTED', said);
      }
      const code = isImkError(error) ? error.code : 'FETCH_FAILED';
      // The code's catalogue says whose fault it is: the link (422), a missing tool or secret (503), the network (502).
      const status = httpStatusOf(error) ?? 500;
      if (status >= 500)
        options.logger.error({ url: picked.url.href, err: errorMessage(error) }, 'fetch failed');
      return sendError(reply, status, code, errorMessage(error));
    }
  });
  return Promise.resolve();
};

/** The routes as a plugin with its options bound, for `app.register(createRetrieverRoutes({ root, logger }))`. */
export function createRetrieverRoutes(options: RetrieverRoutesOptions): FastifyPluginAsync {
  return async (app) => {
    await retrieverRoutes(app, options);
  };
}

function toResponse(result: FetchResult): UrlRequestResponse {
  return {
    retriever: result.retriever,
    url: result.url,
    job_ids: result.jobs.map((job) => job.jobId),
    jobs: result.jobs.map((job) => ({ job_id: job.jobId, queue: job.queue, title: job.title })),
    skipped: result.skipped,
    failures: result.failures,
    warnings: result.warnings,
  };
}

function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: code, message });
}
