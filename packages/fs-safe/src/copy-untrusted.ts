import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { openUntrusted, untrustedErrnoError, type UntrustedOpenOptions } from './untrusted.ts';

/**
 * Copies a file someone else wrote (a bundle's video published as it came) to `to`, a new file of ours
 * (created with `wx`: never written through a link or over a file there): opened the untrusted way
 * (openUntrusted: a regular file, no link followed, inside `within` when given), so the bytes copied are
 * those of the file checked, not of whatever a link swapped in since. Refusals name the file.
 */
export async function copyUntrustedFile(
  from: string,
  to: string,
  options: UntrustedOpenOptions = {},
): Promise<void> {
  const { handle } = await openUntrusted(from, options);
  try {
    await pipeline(
      handle.createReadStream({ autoClose: false, start: 0 }),
      createWriteStream(to, { flags: 'wx' }),
    );
  } catch (error) {
    throw untrustedErrnoError(error, options.name ?? from);
  } finally {
    await handle.close();
  }
}
