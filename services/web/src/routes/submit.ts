import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_QUEUE } from '@imk/config';
import { errorMessage, isImkError } from '@imk/errors';
import { createBundle, makeJobId } from '@imk/retriever-sdk';
import type { UploadResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { replyError } from '../errors.ts';

export const UPLOAD_EXTENSIONS = [
  '.mp3',
  '.m4a',
  '.flac',
  '.wav',
  '.ogg',
  '.opus',
  '.mp4',
  '.mkv',
  '.webm',
  '.aac',
];
const VIDEO_EXTENSIONS = new Set(['.mp4', '.mkv', '.webm']);

/** "Artist - Title.mp3" -> tags; anything else becomes the title. */
export function tagsFromFileName(name: string): { artist?: string; title: string } {
  const base = name.slice(0, name.length - extname(name).length).trim();
  const dash = base.indexOf(' - ');
  return dash > 0
    ? { artist: base.slice(0, dash).trim(), title: base.slice(dash + 3).trim() }
    : { title: base };
}

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
      const tags = tagsFromFileName(part.filename);
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
      bundle.setTags({ artist: tags.artist ?? 'Unknown Artist', album: 'Uploads', title: tags.title });
      if (VIDEO_EXTENSIONS.has(ext)) bundle.addVideo(file, { move: true });
      else bundle.addAudio(file, { move: true });
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
