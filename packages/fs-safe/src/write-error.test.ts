import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isNoRoomError, writeError } from './write-error.ts';

// Node's write errors do not name the file ("ENOSPC: no space left on device, write"): a job failed on a
// full disk said so without saying which file, or where. /dev/full answers every write with ENOSPC.
async function writeToFull(): Promise<unknown> {
  const handle = await open('/dev/full', 'w');
  try {
    await handle.write(Buffer.alloc(16));
  } catch (error) {
    return error;
  } finally {
    await handle.close();
  }
  throw new Error('/dev/full accepted a write');
}

describe('writeError', () => {
  it('names the file and says the disk is full, keeping the errno as its code', async () => {
    const error = writeError('/nas/outputs/A - Song.wav', await writeToFull()) as NodeJS.ErrnoException;
    expect(error.message).toBe(
      'cannot write /nas/outputs/A - Song.wav: the disk is full (no space left on the device)',
    );
    expect(error.code).toBe('ENOSPC');
    expect(isNoRoomError(error)).toBe(true);
  });

  it.each([
    ['EFBIG', "the file size limit was reached (ulimit -f, or the filesystem's largest file)"],
    ['EDQUOT', 'the disk quota is used up'],
    ['EACCES', 'EACCES: permission denied, open'],
  ])('%s is said in plain words, naming the file', (code, words) => {
    const cause = Object.assign(new Error(`${code}: permission denied, open`), { code });
    if (code !== 'EACCES') cause.message = `${code}: something, write`;
    const error = writeError('/x/y.wav', cause) as NodeJS.ErrnoException;
    expect(error.message).toBe(`cannot write /x/y.wav: ${words}`);
    expect(error.code).toBe(code);
    expect(error.cause).toBe(cause);
  });

  it('leaves an error that names the file already as it is', () => {
    const cause = Object.assign(new Error("ENOENT: no such file or directory, open '/x/y.wav'"), {
      code: 'ENOENT',
    });
    expect(writeError('/x/y.wav', cause)).toBe(cause);
  });
});
