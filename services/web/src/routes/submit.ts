import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEFAULT_QUEUE } from '@imk/config';
import { errorMessage, isImkError, isInputFault } from '@imk/errors';
import { SONG_FILE_EXTENSIONS, probeMedia, tagsFor } from '@imk/media';
import { createBundle, makeJobId } from '@imk/retriever-sdk';
import type { UploadResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { replyError } from '../errors.ts';

export const UPLOAD_EXTENSIONS: readonly string[] = SONG_FILE_EXTENSIONS.map((ext) => `.${ext}`);
const VIDEO_EXTENSIONS = new Set(['.mp4', '.mkv', '.webm']);

/** Upload: one file in a multipart form becomes a bundle in queue `other`. */
export function registerSubmitRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.post('/api/upload', { config: { accepts: ['multipart'] } }, async (request, reply) => {
    const part = await request.file();
    if (!part) return replyError(reply, 'NO_FILE', { message: 'send one file in a multipart form field' });
    const ext = extname(part.filename).toLowerCase();
    if (!UPLOAD_EXTENSIONS.includes(ext)) {
      part.file.resume();
      return replyError(reply, 'UNSUPPORTED_FILE', {
        message: `${part.filename}: expected one of ${UPLOAD_EXTENSIONS.join(', ')}`,
      });
    }
    const tmpDir = join(ctx.paths.tmp, 'web', `upload-${Date.now()}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmpDir, { recursive: true });
    try {
      const file = join(tmpDir, `upload${ext}`);
      await pipeline(part.file, createWriteStream(file));
      if (part.file.truncated)
        return replyError(reply, 'UPLOAD_TOO_LARGE', {
          message: `${part.filename} is larger than web.uploadLimitMb (${ctx.config.uploadLimitMb} MB)`,
        });
      if ((await stat(file)).size === 0)
        return replyError(reply, 'EMPTY_FILE', { message: `${part.filename} is empty` });
      // Read as the inbox and `imk enqueue` read a file: a file ffprobe cannot read (a page saved as .mp3,
      // a download cut short at its start) is refused now, naming it, rather than queued to fail in the
      // worker under the bundle's name (audio.mp3); and its own tags name the song before its file name does.
      let info;
      try {
        info = await probeMedia(file, { signal: ctx.signal });
      } catch (error) {
        if (ctx.signal.aborted) return stopping(reply, ctx, part.filename);
        if (!isInputFault(error)) throw error;
        return replyError(reply, 'NOT_MEDIA', {
          message: `${errorMessage(error).replaceAll(file, part.filename)}; nothing was queued`,
        });
      }
      const tags = tagsFor(part.filename, info);
      const jobId = makeJobId(
        'upload',
        new Date().toISOString().slice(0, 10).replaceAll('-', ''),
        randomBytes(3).toString('hex'),
        tags.title.slice(0, 40),
      );
      const bundle = createBundle({
        jobId,
        sourceType: 'local',
        queue: DEFAULT_QUEUE,
        root: ctx.paths.root,
        producer: 'web-upload',
        logger: ctx.logger,
      });
      bundle.setTags({ artist: tags.artist, album: tags.album ?? 'Uploads', title: tags.title });
      if (VIDEO_EXTENSIONS.has(ext)) bundle.addVideo(file, { move: true });
      else bundle.addAudio(file, { move: true });
      // The dashboard is stopping: the connection is closed under this request, so its answer never reaches
      // the page, which says the upload failed. Before, the job was queued all the same, unseen (uploaded
      // again, the song became two jobs); now nothing is, and the temporary copy goes.
      if (ctx.signal.aborted) return stopping(reply, ctx, part.filename);
      const published = await bundle.publish();
      ctx.logger.info({ job_id: published.jobId, file: part.filename }, 'upload published into queue other');
      return reply
        .code(201)
        .send({ job_ids: [published.jobId], queue: DEFAULT_QUEUE } satisfies UploadResponse);
    } catch (error) {
      return reply
        .code(isImkError(error) ? 400 : 500)
        .send({ error: isImkError(error) ? error.code : 'UPLOAD_FAILED', message: errorMessage(error) });
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  });
}

/** The answer to an upload the dashboard's stop came during: nothing queued (said in the log too). */
function stopping(reply: FastifyReply, ctx: WebContext, filename: string): FastifyReply {
  const message = `the dashboard stopped while ${filename} was uploaded; nothing was queued: upload it again once the dashboard is back`;
  ctx.logger.info({ file: filename }, message);
  return replyError(reply, 'WEB_STOPPING', { message });
}
