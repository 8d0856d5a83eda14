import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { createDiskGuard } from '@imk/ops';
import { afterAll, describe, expect, it } from 'vitest';
import { whenSpace } from './start-up.ts';

const logger = createLogger('test', { level: 'silent' });
const guard = createDiskGuard({ paths: [tmpdir()], minFreeBytes: 0, logger, enabled: false });

describe('a start-up step on a full disk', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('waits when the step fails for want of space, however deep in its causes (SQLite, the filesystem)', async () => {
    let tries = 0;
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const result = await whenSpace(
      'opening the ledger',
      () => {
        tries++;
        if (tries === 1)
          throw new ImkError('LEDGER_OPEN_FAILED', 'cannot open the job ledger', { cause: full });
        return 'opened';
      },
      guard,
      logger,
      AbortSignal.timeout(10_000),
    );
    expect(result).toBe('opened');
    expect(tries).toBe(2);
  });

  it('fails at once on any other error, even one whose text quotes the words of a full disk', async () => {
    // A folder whose name is the words of a full disk, made unwritable: the worker must say "permission
    // denied" and stop, not wait forever for space that is not missing.
    const dir = await mkdtemp(join(tmpdir(), 'imk-start-up-'));
    dirs.push(dir);
    const odd = join(dir, 'no space left on device');
    await mkdir(odd, { mode: 0o500 });
    const step = () => mkdir(join(odd, 'work'));
    const error = Object.assign(new Error(`EACCES: permission denied, mkdir '${join(odd, 'work')}'`), {
      code: 'EACCES',
    });
    const thrown = await whenSpace(
      'creating the work folders',
      process.getuid?.() === 0 ? () => Promise.reject(error) : step,
      guard,
      logger,
      AbortSignal.timeout(5_000),
    ).catch((e: unknown) => e);
    expect((thrown as NodeJS.ErrnoException).code).toBe('EACCES');
  });
});
