import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { imageAsJpeg } from '@imk/retriever-sdk';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif', '.bmp']);

/**
 * The thumbnail yt-dlp wrote into `dir` as `cover.<ext>`, as a JPEG (YouTube serves WebP). Undefined when
 * there was no thumbnail.
 */
export async function coverAsJpeg(dir: string, signal?: AbortSignal): Promise<string | undefined> {
  const names = await readdir(dir);
  const found = names.find(
    (name) => name.startsWith('cover.') && IMAGE_EXTENSIONS.has(extname(name).toLowerCase()),
  );
  if (!found) return undefined;
  return imageAsJpeg(join(dir, found), join(dir, 'cover.jpg'), signal);
}
