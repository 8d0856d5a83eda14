import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raceTries, startSwapper, waitsOnFifo, type Swapper } from '@imk/fs-safe/testing';
import { createLocalBackend } from '../src/index.ts';
import { tempDir, testLogger } from './helpers.ts';

// A backend checked the artifact (a regular file, the manifest's size: checkLocalFile) and then read it by
// name again to send it (copyFile, a read stream, fastPut): an artifact swapped meanwhile for a link to a
// FIFO blocked the copy, and the whole sync pass, forever. The backends now send from the descriptor they
// checked (openLocalFile). A real swapper swaps the artifact with a link to a FIFO while the local backend
// (the same helper serves sftp and s3) sends it again and again.
let dir: Awaited<ReturnType<typeof tempDir>>;
let swapper: Swapper | undefined;
const song = Buffer.from('the artifact the manifest describes');
const sha256 = createHash('sha256').update(song).digest('hex');

beforeAll(async () => {
  dir = await tempDir('imk-local-source-swap-');
  await mkdir(join(dir.path, 'outputs'));
  await mkdir(join(dir.path, 'nas'));
  await writeFile(join(dir.path, 'outputs', 'original.m4a'), song);
  execFileSync('mkfifo', [join(dir.path, 'fifo')]);
});
afterAll(async () => {
  await swapper?.stop();
  // Frees any copy the old code left waiting on the FIFO: a writer comes and goes.
  await open(join(dir.path, 'fifo'), constants.O_WRONLY | constants.O_NONBLOCK).then(
    (handle) => handle.close(),
    () => undefined,
  );
  await dir.remove();
});

describe('local backend: an artifact swapped for a link to a FIFO while it is sent', () => {
  it('is delivered as the manifest says, or refused naming it; the send never waits on the FIFO', async () => {
    const outputs = join(dir.path, 'outputs');
    swapper = await startSwapper({
      folder: outputs,
      name: 'song.m4a',
      original: 'original.m4a',
      other: join(dir.path, 'fifo'),
    });
    const backend = createLocalBackend({ type: 'local' }, { name: 'nas', logger: testLogger() });
    let n = 0;
    const counts = await raceTries(
      ['delivered', 'refused'],
      { least: 40, most: 300, enough: (c) => c.delivered > 0 && c.refused > 0 },
      async () => {
        const remotePath = join(dir.path, 'nas', `song-${n++}.m4a`);
        const put = backend
          .put({ localPath: join(outputs, 'song.m4a'), remotePath, bytes: song.length, sha256 })
          .then(
            () => 'delivered' as const,
            (error: unknown) => {
              expect((error as { code?: string }).code).toBe('LOCAL_MISMATCH');
              expect((error as Error).message).toContain(join(outputs, 'song.m4a'));
              return 'refused' as const;
            },
          );
        // The old copy by name waited on the FIFO forever: a thread seen in that wait is the sign of it.
        const timer = new AbortController();
        const hung = waitsOnFifo(timer.signal);
        const said = await Promise.race([put, hung]);
        timer.abort();
        expect(said, 'the send waited on the FIFO').not.toBe('hung');
        if (said === 'delivered') expect(await readFile(remotePath)).toEqual(song);
        return said as 'delivered' | 'refused';
      },
    );
    expect(counts.delivered).toBeGreaterThan(0);
  }, 240_000);
});
