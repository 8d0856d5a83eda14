import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ImkError } from '@imk/errors';
import { fitName, fsyncDir, fsyncFile, moveNoClobber } from '@imk/fs-safe';
import './errors.ts';

/**
 * Runs `produce` on a temp name beside `output` (same folder, so the rename never crosses a mount), then
 * fsyncs and renames it into place: a partial file never sits under the final name. The temp file is
 * removed when `produce` fails. The extension is kept so tools that look at it still see it.
 *
 * With `replace: false` a file already at `output` is never replaced, even one that appeared while
 * `produce` ran: the new file is then removed and ImkError('OUTPUT_EXISTS') names the path.
 */
export async function withTempOutput<T>(
  output: string,
  produce: (tempPath: string) => Promise<T>,
  options: { replace?: boolean } = {},
): Promise<T> {
  const dir = path.dirname(output);
  const ext = path.extname(output);
  const tail = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}${ext}`;
  // Cut so the temp name fits wherever the output's does: an output named from a long title (at the
  // 255-byte limit) failed here as ENAMETOOLONG, and the job with it.
  const temp = path.join(dir, `.${fitName(path.basename(output, ext), tail, 1)}`);
  try {
    const result = await produce(temp);
    await fsyncFile(temp);
    if (options.replace === false) {
      if (!(await moveNoClobber(temp, output))) throw outputExists(output);
    } else {
      await rename(temp, output);
    }
    await fsyncDir(dir);
    return result;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function outputExists(output: string): ImkError {
  return new ImkError('OUTPUT_EXISTS', `${output} already exists; it was kept and not replaced`, {
    details: { file: output },
  });
}
