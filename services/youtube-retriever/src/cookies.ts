import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImkError, isAbsentErrno } from '@imk/errors';
import { fileReadProblem, readRegularFile } from '@imk/fs-safe';
import './errors.ts';

/** A private copy of the configured cookies file, for one fetch; `remove` deletes it. */
export interface PrivateCookies {
  file: string;
  remove(): Promise<void>;
}

/**
 * yt-dlp opened `cookiesFile` itself, by name, and wrote its cookies back to it at the end: a named pipe
 * there hung it, a device was read without end, and the write went wherever a link there led. The file is
 * now read the way every file the configuration names is (a regular file, or a link to one such as a
 * mounted secret; no FIFO, socket or device; at most 16 MiB) into a private temp file (0600) that yt-dlp
 * reads and may rewrite; the user's file is never written. COOKIES_MISSING (nothing there: retryable) and
 * COOKIES_UNUSABLE (something else there: final) name the file and say why.
 */
export async function privateCookies(file: string): Promise<PrivateCookies> {
  let text: string;
  try {
    text = await readRegularFile(file);
  } catch (error) {
    const where = `the cookies file ${file} (cookiesFile in config/youtube-retriever.yaml)`;
    const problem = fileReadProblem(error);
    // Nothing there (yet) may be a file being copied: worth another attempt. Anything else there (a FIFO,
    // a folder, a device, no permission, too big) stays so until a person acts: final.
    if (isAbsentErrno(error))
      throw new ImkError(
        'COOKIES_MISSING',
        `${where} does not exist (${problem}); export it from your browser to that path or remove the setting`,
        { cause: error, details: { file } },
      );
    throw new ImkError(
      'COOKIES_UNUSABLE',
      `${where} cannot be read (${problem}); put the cookies.txt exported from your browser there or remove the setting`,
      { cause: error, details: { file } },
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'imk-cookies-'));
  const copy = join(dir, 'cookies.txt');
  await writeFile(copy, text, { mode: 0o600, flag: 'wx' });
  await chmod(dir, 0o700);
  return { file: copy, remove: () => rm(dir, { recursive: true, force: true }) };
}
