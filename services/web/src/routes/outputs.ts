import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { errorMessage, httpStatusOf, isImkError } from '@imk/errors';
import { openUntrusted } from '@imk/fs-safe';
import { SOUNDLESS_CODEC, readThroughReplace } from '@imk/protocol';
import type { OutputDetailResponse, OutputListResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { PREVIEW_KINDS, renderPreview, type PreviewKind } from '../previews.ts';
import { OUTPUTS_LIST_LIMIT, listOutputs, readOutput, readOutputOnce } from '../system/outputs.ts';
import { openArtifact, isOutputName, resolveInside } from '../system/safe-path.ts';
import { sendCheckedFile, sendOpenedFile } from '../system/send-file.ts';
import { replyError } from '../errors.ts';

/** Browsing outputs/<job_id>: manifest, files (with HTTP ranges for the audio player), preview images. */
export function registerOutputRoutes(app: FastifyInstance, ctx: WebContext): void {
  const previewDir = join(ctx.paths.cache, 'previews');

  // `?limit=all` lists every output (the dashboard's library: an earlier version's library is easily past
  // 200 songs); `?limit=N` at most N; without it the newest 200, as before.
  app.get<{ Querystring: { limit?: string } }>(
    '/api/outputs',
    async (request): Promise<OutputListResponse> => {
      const asked = request.query.limit;
      const limit =
        asked === 'all' ? Infinity : Math.max(Number(asked ?? OUTPUTS_LIST_LIMIT) || OUTPUTS_LIST_LIMIT, 1);
      return listOutputs(ctx.paths.outputs, limit);
    },
  );

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
      // Opened here, as fs-safe opens an untrusted file (no link, no FIFO), and sent from that descriptor,
      // never opened again by name. Not there (FILE_MISSING) is nothing found: read again, below, across
      // the moment a worker replaces the job's folder (a mix of it saved), between finding the file and
      // opening it too: not a 404 then.
      const openInside = async () => {
        const real = await resolveInside(jobDir, rel);
        if (real === undefined) return undefined;
        try {
          return {
            real,
            opened: await openUntrusted(real, { name: `outputs/${id}/${rel}`, within: jobDir }),
          };
        } catch (error) {
          if (isImkError(error, 'FILE_MISSING')) return undefined;
          throw error;
        }
      };
      let found;
      try {
        found = isOutputName(id) ? await readThroughReplace(ctx.paths.outputs, id, openInside) : undefined;
      } catch (error) {
        return replyError(reply, 'FILE_NOT_FOUND', { message: errorMessage(error) });
      }
      if (!found) return replyError(reply, 'FILE_NOT_FOUND', { message: `no file ${rel} in outputs/${id}` });
      return sendOpenedFile(request, reply, found.opened, found.real, {
        ...(request.query.download !== undefined && { disposition: attachment(basename(found.real)) }),
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
      // The manifest read, the artifact found and opened (openArtifact: before ffmpeg sees it, since a FIFO
      // would hang it, a link or `..` would preview a file from elsewhere), all in one read through the
      // replace: a job published again (a mix of it saved) between any two of them is read again, not a
      // 404 or a failed render for that moment. ffmpeg reads the descriptor opened here.
      const jobDir = join(ctx.paths.outputs, id);
      let missing: unknown;
      const openIt = async () => {
        missing = undefined;
        const output = await readOutputOnce(ctx.paths.outputs, id);
        if (output === undefined) return undefined;
        const artifact = output.artifacts[Number(index)];
        if (!artifact) return { artifact: undefined };
        try {
          return { artifact, opened: await openArtifact(jobDir, id, artifact.path) };
        } catch (error) {
          if (!isImkError(error, 'FILE_MISSING')) return { artifact, refused: error };
          missing = error;
          return undefined;
        }
      };
      const found = isOutputName(id) ? await readThroughReplace(ctx.paths.outputs, id, openIt) : undefined;
      const artifact = found?.artifact;
      if (!artifact && missing === undefined)
        return replyError(reply, 'ARTIFACT_NOT_FOUND', { message: `no artifact ${index} in outputs/${id}` });
      // ffmpeg failed on it ("Cannot find a matching stream for unlabeled input pad"), answered as a 500.
      if (artifact?.codec === SOUNDLESS_CODEC) {
        await found?.opened?.handle.close();
        return replyError(reply, 'PREVIEW_NO_SOUND', {
          message: `artifact ${index} of outputs/${id} (${artifact.path}) has no sound: there is no ${kind} to draw`,
        });
      }
      const opened = found?.opened;
      if (!opened) {
        const error = found?.refused ?? missing;
        return reply.code(httpStatusOf(error) ?? 422).send({
          error: isImkError(error) ? error.code : 'ARTIFACT_UNREADABLE',
          message: `artifact ${index} of outputs/${id} (${artifact?.path ?? '?'}) cannot be previewed: ${errorMessage(error)}`,
        });
      }
      try {
        const png = await renderPreview({
          input: opened.file,
          opened: opened.handle,
          kind: kind as PreviewKind,
          cacheDir: previewDir,
          key: opened.identity,
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
      } finally {
        await opened.handle.close();
      }
    },
  );
}

/** RFC 6266 attachment header: an ASCII fallback name plus the exact UTF-8 name. */
function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
