import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FetchMode, UrlRequestFolderSpec } from './url-retriever.ts';

/**
 * Writes a URL request file (the format createUrlRequestFolder reads: one URL per line, then an optional
 * `mode: …` line where the retriever understands modes) into a retriever's request folder, under a hidden
 * temp name renamed into place, so the retriever never reads half a request. Returns the file's path.
 */
export async function writeUrlRequestFile(
  folder: UrlRequestFolderSpec,
  url: string,
  mode: FetchMode | undefined,
): Promise<string> {
  const name = `api-${Date.now()}-${randomBytes(3).toString('hex')}${folder.extension}`;
  await mkdir(folder.dir, { recursive: true });
  await writeFile(
    join(folder.dir, `.${name}.tmp`),
    `${url}\n${mode && folder.modes ? `mode: ${mode}\n` : ''}`,
  );
  await rename(join(folder.dir, `.${name}.tmp`), join(folder.dir, name));
  return join(folder.dir, name);
}
