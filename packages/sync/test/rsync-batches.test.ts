// rsync to a folder here: the files of a job that become due together ride one rsync run (they used to take
// about one run per file or two: each file waited for one of the engine's 4 transfer slots), and batching
// keeps the no-overwrite rule: a different file already at one destination stays as it was, and that
// artifact arrives beside it. Runs counted with a wrapper as the rsync program.
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, createSyncEngine } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';

const FILES = 30;

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir('imk-rsync-batches-');
});
afterEach(() => dir.remove());

describe('rsync to a folder here: files per run', () => {
  it(`delivers a job's ${FILES} files in one rsync run, never over a different file already there`, async () => {
    const log = join(dir.path, 'rsync-calls.log');
    const wrapper = join(dir.path, 'rsync-wrapper.sh');
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec rsync "$@"\n`);
    await chmod(wrapper, 0o755);
    await writeJob(join(dir.path, 'outputs'), {
      jobId: 'job1',
      artifacts: Array.from({ length: FILES }, (_, i) => ({
        path: `files/stems/stem${i}.flac`,
        kind: 'stems' as const,
        variant: `stem${i}`,
        size: 2000,
      })),
    });
    const nas = join(dir.path, 'nas');
    await mkdir(join(nas, 'job1'), { recursive: true });
    await writeFile(join(nas, 'job1', 'stem7.flac'), 'a file nas-sync never wrote');
    const receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
    try {
      const result = await createSyncEngine({
        outputsDir: join(dir.path, 'outputs'),
        receipts,
        remoteRoots: { stems: nas },
        backends: { nas: { type: 'rsync', rsyncBinary: wrapper } },
        routes: [
          { name: 'stems', match: { kind: 'stems' }, to: '${remoteRoots.stems}/{job_id}/', backend: 'nas' },
        ],
        logger: testLogger(),
      }).runPass();
      expect(result).toMatchObject({ delivered: FILES, failed: 0 });
    } finally {
      receipts.close();
    }
    const runs = (await readFile(log, 'utf8')).split('\n').filter(Boolean).length;
    // The conflict's second try (as "stem7 (2).flac") is a run of its own.
    expect(runs, `${FILES} files in ${runs} rsync runs`).toBeLessThanOrEqual(2);
    expect(await readFile(join(nas, 'job1', 'stem7.flac'), 'utf8')).toBe('a file nas-sync never wrote');
    const names = await readdir(join(nas, 'job1'));
    expect(names).toHaveLength(FILES + 1);
    expect(names).toContain('stem7 (2).flac');
  }, 60_000);
});
