import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImkError, errorMessage } from '@imk/errors';
import { fileReadProblem, readRegularFile, readRegularFileSync } from './regular-file.ts';

// A token, secret, ARL, cookies or model file named by the user's configuration that is a folder, a named
// pipe or missing: messages named the problem, then errorMessage appended the cause that said it again
// ("… (a folder, not a regular file): /x is a folder, not a regular file"; through two wrappers, three
// times). The summary fileReadProblem gives is now the only time a message says it.
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-regular-'));
  await mkdir(join(dir, 'folder'));
  execFileSync('mkfifo', [join(dir, 'pipe')]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const count = (text: string, part: string) => text.split(part).length - 1;

/** Bytes this process has read so far, by the kernel's count (/proc/self/io). */
function bytesRead(): number {
  const io = readFileSync('/proc/self/io', 'utf8');
  return Number(/^rchar: (\d+)$/m.exec(io)?.[1]);
}

async function failure(read: () => unknown): Promise<unknown> {
  try {
    await read();
  } catch (error) {
    return error;
  }
  throw new Error('expected the read to fail');
}

describe('fileReadProblem and errorMessage', () => {
  it.each([
    ['folder', 'a folder, not a regular file'],
    ['pipe', 'a FIFO (named pipe), not a regular file'],
    ['missing', 'ENOENT: no such file or directory'],
  ])('a %s is said once, however many messages wrap it', async (name, problem) => {
    const file = join(dir, name);
    for (const read of [() => readRegularFile(file), () => readRegularFileSync(file)]) {
      const error = await failure(read);
      expect(fileReadProblem(error)).toBe(problem);
      // As the callers do: one wrapper that summarises it, another that summarises it again.
      const inner = new ImkError(
        'SECRET_MISSING',
        `cannot read secret file ${file} (${fileReadProblem(error)})`,
        {
          cause: error,
        },
      );
      const outer = new ImkError(
        'WEB_TOKEN_FILE',
        `cannot read the web token file ${name}: ${fileReadProblem(error)}`,
        {
          cause: inner,
        },
      );
      for (const wrapped of [inner, outer]) {
        const message = errorMessage(wrapped);
        expect(message).toBe(wrapped.message);
        expect(count(message, problem), message).toBe(1);
        expect(count(message, file), message).toBeLessThanOrEqual(1);
      }
    }
  });
});

// A config file, token or key named by mistake as a multi-gigabyte (sparse) file was read whole: the
// synchronous read held the process for as long as it took (minutes, or until memory ran out).
describe('a file the configuration names that is huge', () => {
  it('is refused at once, naming the file and its size, before anything is read', async () => {
    const huge = join(dir, 'secret.txt');
    execFileSync('truncate', ['-s', '5G', huge]);
    for (const read of [() => readRegularFileSync(huge), () => readRegularFile(huge)]) {
      // Counted in bytes, not timed: the kernel's count of what this process read (rchar, every read and
      // pread of every thread) grows by far less than the cap, so the file was not read.
      const before = bytesRead();
      const error = await failure(read);
      expect(bytesRead() - before).toBeLessThan(1024 * 1024);
      expect(fileReadProblem(error)).toBe('too large (5368709120 bytes; at most 16777216 are read here)');
      expect((error as Error).message).toContain(huge);
    }
  });
});
