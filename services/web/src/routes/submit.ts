import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { errorMessage, isImkError } from '@imk/errors';
import { TEMP_DIR } from '@imk/ops';
import { createBundle, makeJobId, parseHttpUrl } from '@imk/retriever-sdk';
import type { WebContext } from '../context.ts';

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
const MODES = ['audio', 'video', 'both'] as const;

/** "Artist - Title.mp3" -> tags; anything else becomes the title. */
export function tagsFromFileName(name: string): { artist?: string; title: string } {
  const base = name.slice(0, name.length - extname(name).length).trim();
  const dash = base.indexOf(' - ');
  return dash > 0
    ? { artist: base.slice(0, dash).trim(), title: base.slice(dash + 3).trim() }
    : { title: base };
}

function isDeezer(url: URL): boolean {
  return /(^|\.)deezer\.(com|page\.link)$/i.test(url.hostname) || url.hostname === 'link.deezer.com';
}

/**
 * Upload (multipart, one file -> a bundle in queue `other`) and, when no retriever HTTP plugin is mounted,
 * URL requests written as request files that the YouTube and Deezer retrievers pick up.
 */
export function registerSubmitRoutes(
  app: FastifyInstance,
  ctx: WebContext,
  options: { urlRequests: boolean },
): void {
  app.post('/api/upload', async (request, reply) => {
    const part = await request.file();
    if (!part)
      return reply.code(400).send({ error: 'NO_FILE', message: 'send one file in a multipart form field' });
    const ext = extname(part.filename).toLowerCase();
    if (!UPLOAD_EXTENSIONS.includes(ext)) {
      part.file.resume();
      return reply.code(415).send({
        error: 'UNSUPPORTED_FILE',
        message: `${part.filename}: expected one of ${UPLOAD_EXTENSIONS.join(', ')}`,
      });
    }
    const tmpDir = join(
      ctx.paths.state,
      TEMP_DIR,
      'web',
      `upload-${Date.now()}-${randomBytes(4).toString('hex')}`,
    );
    await mkdir(tmpDir, { recursive: true });
    try {
      const file = join(tmpDir, `upload${ext}`);
      await pipeline(part.file, createWriteStream(file));
      if (part.file.truncated)
        return reply.code(413).send({
          error: 'UPLOAD_TOO_LARGE',
          message: `${part.filename} is larger than web.uploadLimitMb (${ctx.config.uploadLimitMb} MB)`,
        });
      if ((await stat(file)).size === 0)
        return reply.code(400).send({ error: 'EMPTY_FILE', message: `${part.filename} is empty` });
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
        queue: 'other',
        root: ctx.paths.root,
        producer: 'web-upload',
        logger: ctx.logger,
      });
      bundle.setTags({ artist: tags.artist ?? 'Unknown Artist', album: 'Uploads', title: tags.title });
      if (VIDEO_EXTENSIONS.has(ext)) bundle.addVideo(file, { move: true });
      else bundle.addAudio(file, { move: true });
      const published = await bundle.publish();
      ctx.logger.info({ job_id: published.jobId, file: part.filename }, 'upload published into queue other');
      return reply.code(201).send({ job_ids: [published.jobId], queue: 'other' });
    } catch (error) {
      return reply
        .code(isImkError(error) ? 400 : 500)
        .send({ error: isImkError(error) ? error.code : 'UPLOAD_FAILED', message: errorMessage(error) });
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  });

  if (!options.urlRequests) return;
  app.post<{ Body: { url?: unknown; mode?: unknown } }>('/api/requests', async (request, reply) => {
    const body = request.body ?? {};
    const mode = typeof body.mode === 'string' ? body.mode : 'audio';
    if (!MODES.includes(mode as (typeof MODES)[number]))
      return reply
        .code(400)
        .send({ error: 'INVALID_MODE', message: `mode must be audio, video or both, not "${mode}"` });
    let url: URL;
    try {
      url = parseHttpUrl(typeof body.url === 'string' ? body.url : '');
    } catch (error) {
      return reply.code(400).send({ error: 'INVALID_URL', message: errorMessage(error) });
    }
    const deezer = isDeezer(url);
    const dir = join(ctx.paths.root, 'requests', deezer ? 'deezer' : 'youtube');
    const name = `web-${Date.now()}-${randomBytes(3).toString('hex')}${deezer ? '.deezer' : '.txt'}`;
    await mkdir(dir, { recursive: true });
    // Written under a temp name and renamed, so the retriever never reads half a request.
    await writeFile(join(dir, `.${name}.tmp`), `${url.href}\n${deezer ? '' : `mode: ${mode}\n`}`);
    await rename(join(dir, `.${name}.tmp`), join(dir, name));
    ctx.logger.info({ url: url.href, mode, request: name }, 'URL request queued from the dashboard');
    return reply.code(202).send({ accepted: true, request: name, retriever: deezer ? 'deemix' : 'youtube' });
  });

  app.get('/api/requests', async () => {
    const result: { name: string; retriever: string; status: string; reason?: string }[] = [];
    for (const retriever of ['youtube', 'deezer']) {
      const dir = join(ctx.paths.root, 'requests', retriever);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names
        .filter((n) => n.startsWith('web-') && !n.endsWith('.reason'))
        .sort()
        .reverse()
        .slice(0, 20)) {
        const status = name.endsWith('.done') ? 'done' : name.endsWith('.fail') ? 'failed' : 'pending';
        const reason =
          status === 'failed'
            ? await readFile(join(dir, `${name}.reason`), 'utf8').catch(() => undefined)
            : undefined;
        result.push({ name, retriever, status, ...(reason !== undefined && { reason }) });
      }
    }
    return result;
  });
}
