import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { errorMessage, httpStatusOf, isImkError } from '@imk/errors';
import type { OutputDetailResponse, OutputListResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { PREVIEW_KINDS, renderPreview, type PreviewKind } from '../previews.ts';
import { listOutputs, readOutput } from '../system/outputs.ts';
import { checkArtifact, isOutputName, resolveInside } from '../system/safe-path.ts';
import { sendCheckedFile } from '../system/send-file.ts';
import { replyError } from '../errors.ts';

/** Browsing outputs/<job_id>: manifest, files (with HTTP ranges for the audio player), preview images. */
export function registerOutputRoutes(app: FastifyInstance, ctx: WebContext): void {
  const previewDir = join(ctx.paths.cache, 'previews');

  app.get('/api/outputs', async (): Promise<OutputListResponse> => listOutputs(ctx.paths.outputs));

  app.get<{ Params: { id: string } }>('/api/outputs/:id', async (request, reply) => {
    const output = await readOutput(ctx.paths.outputs, request.params.id);
    if (!output)
      return replyError(reply, 'OUTPUT_NOT_FOUND', {
        message: `no outputs/${request.params.id}/manifest.json`,
      });
    return { ...output, sync: await ctx.sync.forJob(request.params.id) } satisfies OutputDetailResponse;
  });

  // Files: only what is inside outputs/<job_id>/ (no `..`, no absolute paths, no links leading out).
  app.get<{ Params: { id: string; '*': string }; Querystring: { download?: string } }>(
    '/outputs/:id/*',
    async (request, reply) => {
      const { id } = request.params;
      const rel = request.params['*'];
      const jobDir = join(ctx.paths.outputs, id);
      const real = isOutputName(id) ? await resolveInside(jobDir, rel) : undefined;
      const info = real ? await stat(real).catch(() => undefined) : undefined;
      if (!real || !info?.isFile())
        return replyError(reply, 'FILE_NOT_FOUND', { message: `no file ${rel} in outputs/${id}` });
      // Sent from the descriptor fs-safe opens (no link, no FIFO), never opened again by name.
      return sendCheckedFile(request, reply, real, {
        name: `outputs/${id}/${rel}`,
        within: jobDir,
        ...(request.query.download !== undefined && { disposition: attachment(basename(real)) }),
      });
    },
  );

  app.get<{ Params: { id: string; index: string; kind: string } }>(
    '/api/outputs/:id/artifacts/:index/:kind.png',
    async (request, reply) => {
      const { id, index, kind } = request.params;
      if (!PREVIEW_KINDS.includes(kind as PreviewKind))
        return replyError(reply, 'BAD_PREVIEW', {
          message: `preview must be one of ${PREVIEW_KINDS.join(', ')}`,
        });
      const output = await readOutput(ctx.paths.outputs, id);
      const artifact = output?.artifacts[Number(index)];
      if (!artifact)
        return replyError(reply, 'ARTIFACT_NOT_FOUND', { message: `no artifact ${index} in outputs/${id}` });
      // Before ffmpeg sees it: a FIFO would hang it, a link or `..` would preview a file from elsewhere.
      let checked;
      try {
        checked = await checkArtifact(join(ctx.paths.outputs, id), id, artifact.path);
      } catch (error) {
        return reply.code(httpStatusOf(error) ?? 422).send({
          error: isImkError(error) ? error.code : 'ARTIFACT_UNREADABLE',
          message: `artifact ${index} of outputs/${id} (${artifact.path}) cannot be previewed: ${errorMessage(error)}`,
        });
      }
      try {
        const png = await renderPreview({
          input: checked.file,
          kind: kind as PreviewKind,
          cacheDir: previewDir,
          key: checked.identity,
          width: ctx.config.previewWidth,
          timeoutMs: ctx.config.previewTimeoutSec * 1000,
          signal: ctx.signal,
        });
        // From the descriptor fs-safe opens (a regular file inside the cache folder), never again by name.
        reply.header('cache-control', 'private, max-age=86400');
        return await sendCheckedFile(request, reply, png, {
          name: `preview ${basename(png)}`,
          within: previewDir,
        });
      } catch (error) {
        ctx.logger.warn({ err: errorMessage(error), job_id: id }, 'preview rendering failed');
        return replyError(reply, 'PREVIEW_FAILED', { message: errorMessage(error) });
      }
    },
  );
}

/** RFC 6266 attachment header: an ASCII fallback name plus the exact UTF-8 name. */
function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
