import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { createRequestFolder } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-requests-long-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('request files whose names are near the 255-byte limit', () => {
  it('are handled, and do not hold up the requests after them', async () => {
    const long = `${'a'.repeat(246)}.txt`; // ".<name>.working" would be 259 bytes
    const failing = `${'b'.repeat(246)}.txt`; // "<stem>.fail.reason" would be 258 bytes
    const handled: string[] = [];
    const folder = createRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      handle: (request) => {
        handled.push(request.lines[0] ?? '');
        if (request.name === failing)
          return Promise.reject(new ImkError('YT_PRIVATE', 'the video is private'));
        return Promise.resolve({ notes: [] });
      },
    });
    await writeFile(join(dir, long), 'https://example.com/long');
    await writeFile(join(dir, failing), 'https://example.com/private');
    await writeFile(join(dir, 'z-song.txt'), 'https://example.com/z');
    const outcomes = await folder.scan();
    expect(outcomes.map((o) => o.outcome)).toEqual(['done', 'fail', 'done']);
    expect(handled).toEqual([
      'https://example.com/long',
      'https://example.com/private',
      'https://example.com/z',
    ]);
    const names = await readdir(dir);
    expect(names).toContain(`${'a'.repeat(246)}.done`);
    expect(names).toContain('z-song.done');
    const reason = names.find((name) => name.endsWith('.fail.reason'))!;
    expect(reason).toMatch(/^b+\.fail\.reason$/);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(255);
    expect(await readFile(join(dir, reason), 'utf8')).toContain('the video is private');
    expect(names).toHaveLength(4);
  });
});
