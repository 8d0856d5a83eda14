import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf, isRetryableError } from '@imk/errors';
import { privateCookies } from './cookies.ts';

// Whether the retriever should try again: a cookies file not there yet may be one being copied; a FIFO, a
// folder or a device in its place stays so until the user acts, so trying again only repeats the error.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-cookies-policy-'));
  execFileSync('mkfifo', [join(dir, 'fifo.txt')]);
  await mkdir(join(dir, 'folder.txt'));
  await writeFile(join(dir, 'plain'), 'a file, not a folder');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function failure(file: string): Promise<unknown> {
  return privateCookies(file).then(
    () => expect.unreachable(`${file} was accepted`),
    (error: unknown) => error,
  );
}

describe('a cookiesFile that cannot be used', () => {
  it.each([
    ['a FIFO', 'fifo.txt', /FIFO/],
    ['a folder', 'folder.txt', /folder/],
    ['a device', '/dev/null', /device/],
  ])('%s is final (COOKIES_UNUSABLE), naming the file', async (_kind, name, said) => {
    const file = name.startsWith('/') ? name : join(dir, name);
    const error = await failure(file);
    expect(error).toMatchObject({ code: 'COOKIES_UNUSABLE' });
    expect(String((error as Error).message)).toContain(file);
    expect((error as Error).message).toMatch(said);
    expect(isRetryableError(error)).toBe(false);
    expect(httpStatusOf(error)).toBe(503);
  });

  it.each([
    ['missing', 'nope.txt'],
    ['below a file', 'plain/cookies.txt'],
  ])('%s is retryable (COOKIES_MISSING): the user may be copying it', async (_kind, name) => {
    const file = join(dir, name);
    const error = await failure(file);
    expect(error).toMatchObject({ code: 'COOKIES_MISSING' });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/does not exist/);
    expect(isRetryableError(error)).toBe(true);
  });
});
