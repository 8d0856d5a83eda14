import { extname } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '@imk/errors';
import { openUntrusted } from '@imk/fs-safe';
import { replyError } from '../errors.ts';

/** Content types of the files the dashboard serves (outputs and cached stems); others are octet-stream. */
const CONTENT_TYPES: Record<string, string> = {
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.aac': 'audio/aac',
  '.aif': 'audio/aiff',
  '.aiff': 'audio/aiff',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.lrc': 'text/plain; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
};

/** One byte range of a `Range: bytes=…` header, or 'unsatisfiable'; undefined serves the whole file. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined; // none, several ranges or another unit: the whole file
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  }
  return start >= size || start > end ? 'unsatisfiable' : { start, end };
}

/** A file fs-safe opened (openUntrusted): its descriptor and its size at the open. */
export type OpenedFile = Pick<Awaited<ReturnType<typeof openUntrusted>>, 'handle' | 'size'>;

/** How a sent file is named and said: its name in messages, the folder it must be in, its headers. */
export interface SendFileOptions {
  name: string;
  within?: string;
  contentType?: string;
  disposition?: string;
}

/**
 * Sends a file the dashboard serves (an output, a cached stem) from the very file descriptor fs-safe opened:
 * lstat, regular files only, O_NOFOLLOW|O_NONBLOCK, same inode on fstat. Before, the route checked the
 * path, then @fastify/static opened it again by name: a file swapped for a link to another file of this host
 * (or a FIFO) in between was served (or hung the response). HTTP ranges as the <audio> player asks for them.
 */
export async function sendCheckedFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: string,
  options: SendFileOptions,
): Promise<FastifyReply> {
  let opened;
  try {
    opened = await openUntrusted(file, {
      name: options.name,
      ...(options.within !== undefined && { within: options.within }),
    });
  } catch (error) {
    return replyError(reply, 'FILE_NOT_FOUND', { message: errorMessage(error) });
  }
  return sendOpenedFile(request, reply, opened, file, options);
}

/**
 * Sends `opened` (`file` as openUntrusted opened it: a route that opens the file itself, e.g. across the
 * moment its job's folder is replaced) and closes it.
 */
export async function sendOpenedFile(
  request: FastifyRequest,
  reply: FastifyReply,
  opened: OpenedFile,
  file: string,
  options: Pick<SendFileOptions, 'contentType' | 'disposition'>,
): Promise<FastifyReply> {
  const { handle, size } = opened;
  const range = parseRange(request.headers.range, size);
  if (range === 'unsatisfiable') {
    await handle.close();
    return reply.code(416).header('content-range', `bytes */${size}`).send();
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  reply
    .header('accept-ranges', 'bytes')
    .header(
      'content-type',
      options.contentType ?? CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    )
    .header('content-length', String(Math.max(0, end - start + 1)));
  if (options.disposition !== undefined) reply.header('content-disposition', options.disposition);
  if (range !== undefined) reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
  if (size === 0 || request.method === 'HEAD') {
    await handle.close();
    return reply.send('');
  }
  return reply.send(handle.createReadStream({ start, end, autoClose: true }));
}
