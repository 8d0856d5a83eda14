import { join } from 'node:path';
import { errorMessage } from '@imk/errors';
import { lstatAnySpelling, openUntrusted } from '@imk/fs-safe';
import { sidecarCandidates } from '@imk/protocol';

/**
 * The per-song options file beside a dropped song (`name` in the inbox folder `dir`), if there is one: its
 * name, and why it cannot be used when it is not a regular file (fs-safe's refusal: a FIFO, a link, a
 * device), never opened then.
 */
export async function sidecarOf(
  dir: string,
  name: string,
): Promise<{ path: string; problem?: string } | undefined> {
  for (const candidate of sidecarCandidates(name)) {
    // Its name may be spelt in the other Unicode normalisation (NFC typed, NFD from a Mac's Finder).
    const found = await lstatAnySpelling(dir, candidate).catch(() => undefined);
    if (found === undefined) continue;
    if (found.stats.isFile()) return { path: found.path };
    // Refused on lstat, before any open: the message says what the file is.
    const problem = await openUntrusted(join(dir, found.path), { name: found.path }).then(
      async ({ handle }) => {
        await handle.close();
        return `${found.path} is not a regular file`;
      },
      (error: unknown) => errorMessage(error),
    );
    return { path: found.path, problem };
  }
  return undefined;
}
