import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { execa } from 'execa';
import { ImkError } from '@imk/errors';
import { resolveTool } from '@imk/media';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.bmp']);

/**
 * The cover image yt-dlp wrote into `dir` as `cover.<ext>`, as a JPEG: YouTube serves WebP thumbnails,
 * which many players and tag editors cannot show, so anything else is converted with ffmpeg.
 * Returns undefined when there was no thumbnail.
 */
export async function coverAsJpeg(dir: string, signal?: AbortSignal): Promise<string | undefined> {
  const names = await readdir(dir);
  const found = names.find(
    (name) => name.startsWith('cover.') && IMAGE_EXTENSIONS.has(extname(name).toLowerCase()),
  );
  if (!found) return undefined;
  const ext = extname(found).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return join(dir, found);
  const target = join(dir, 'cover.jpg');
  const ffmpeg = await resolveTool('ffmpeg');
  const result = await execa(
    ffmpeg,
    ['-v', 'error', '-y', '-i', join(dir, found), '-frames:v', '1', '-q:v', '2', target],
    {
      reject: false,
      stdin: 'ignore',
      cancelSignal: signal,
    },
  );
  if (result.exitCode !== 0)
    throw new ImkError(
      'COVER_CONVERT_FAILED',
      `could not convert the thumbnail ${found} to JPEG: ${result.stderr.trim()}`,
    );
  return target;
}
