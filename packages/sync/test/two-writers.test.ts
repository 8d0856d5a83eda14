// Two nas-sync processes (two state folders, so two receipts databases and no shared runner lock) delivering
// to one destination folder at once: the same content under the same name used to go through one temporary
// name, so one copy truncated the other's half-written file, and one removed the temp the other was about to
// put in place. Each writer now has temp names of its own (BackendContext.tempOwner).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, RouteSchema, createSyncEngine, type BackendOptions } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const SHARED = 3;

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  dir = await tempDir('imk-two-writers-');
});
afterEach(() => dir.remove());

// Throttled, so that each copy takes long enough for the two writers to meet on every file.
const backends: [string, (nas: string) => BackendOptions][] = [
  ['local', () => ({ type: 'local', fsync: false, bandwidthLimit: '2M' })],
  ['rsync to a folder here', () => ({ type: 'rsync', bandwidthLimit: '2M' })],
];

describe.each(backends)('two nas-syncs delivering to one folder through %s', (_name, options) => {
  it('both deliver in one pass: every file whole, different files under one name numbered, nothing clobbered', async () => {
    const nas = join(dir.path, 'nas');
    await mkdir(nas);
    const shared = Array.from({ length: SHARED }, () => randomBytes(600_000));
    const engines = await Promise.all(
      ['a', 'b'].map(async (who) => {
        const outputs = join(dir.path, who, 'outputs');
        // The same job in both outputs folders (same content, same names)…
        await writeJob(outputs, {
          jobId: 'job_shared',
          title: 'Shared',
          artifacts: shared.map((data, i) => ({ path: `files/s${i}.m4a`, data })),
        });
        // …and a song of each with the same tags and other content.
        const own = await writeJob(outputs, {
          jobId: `job_${who}`,
          title: 'Song',
          artifacts: [{ path: 'files/a.m4a', size: 300_000 }],
        });
        const receipts = ReceiptStore.open({ file: join(dir.path, who, 'state', 'nas-sync.sqlite') })!;
        const engine = createSyncEngine({
          outputsDir: outputs,
          receipts,
          routes: [RouteSchema.parse({ to: '${remoteRoots.audio}/{title} {basename}.{ext}' })],
          remoteRoots: { audio: nas },
          backends: { local: options(nas) },
          logger: testLogger(),
          retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
        });
        return { engine, receipts, own: own.get('files/a.m4a')! };
      }),
    );
    try {
      const summaries = await Promise.all(engines.map(({ engine }) => engine.runPass()));
      for (const summary of summaries)
        expect(
          summary,
          summary.outcomes.map((o) => `${o.errorCode ?? ''} ${o.error ?? ''}`).join('\n'),
        ).toMatchObject({ delivered: SHARED + 1, failed: 0 });
      for (const [i, data] of shared.entries())
        expect(sha256(await readFile(join(nas, `Shared s${i}.m4a`)))).toBe(sha256(data));
      const songs = [await readFile(join(nas, 'Song a.m4a')), await readFile(join(nas, 'Song a (2).m4a'))];
      expect(songs.map(sha256).sort()).toEqual(engines.map(({ own }) => sha256(own)).sort());
      // Nothing else: no temp name left behind by either.
      expect((await readdir(nas)).sort()).toEqual(
        [...shared.map((_, i) => `Shared s${i}.m4a`), 'Song a (2).m4a', 'Song a.m4a'].sort(),
      );
    } finally {
      for (const { engine, receipts } of engines) {
        await engine.close();
        receipts.close();
      }
    }
  }, 60_000);
});
