// An output folder is written by the worker, but anything on the host can put something else in an
// artifact's place: a FIFO, a link to a device, a link out of the job folder. Sync must never block on one
// (a FIFO never ends a read, /dev/zero never ends at all), never send one, and say which file it refused
// and why, in both manifest shapes: the earlier project's (no sha256, so sync hashes the file itself) and
// v1 (sha256 and bytes given, so the file is first opened when it is sent; bytes 0 made a FIFO's size
// "match").
import { execFile } from 'node:child_process';
import { readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, createSyncEngine, type SyncEngineOptions } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';

let dir: { path: string; remove(): Promise<void> };
let outputs: string;
let nas: string;
let receipts: ReceiptStore;

function engineOptions(): SyncEngineOptions {
  return {
    outputsDir: outputs,
    receipts,
    remoteRoots: { audio: join(nas, 'Music') },
    backends: { nas: { type: 'local', fsync: false } },
    routes: [
      {
        name: undefined,
        match: { kind: 'audio', variant: undefined, source_type: undefined },
        to: '${remoteRoots.audio}/{title} ({variant}).{ext}',
        backend: 'nas',
      },
    ],
    logger: testLogger(),
    retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
  };
}

beforeEach(async () => {
  dir = await tempDir('imk-untrusted-artifacts-');
  outputs = join(dir.path, 'outputs');
  nas = join(dir.path, 'nas');
  receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
  await writeFile(join(dir.path, 'secret.txt'), 'a file of this host that is not an artifact\n');
});

afterEach(async () => {
  receipts.close();
  await dir.remove();
});

/** What takes the place of the artifact, and what the refusal must say about it. */
const HOSTILE: [string, (path: string) => Promise<void>, RegExp][] = [
  ['a FIFO', (path) => promisify(execFile)('mkfifo', [path]).then(() => undefined), /FIFO/],
  ['a link to /dev/zero', (path) => symlink('/dev/zero', path), /character device|outside|leaves/],
  [
    'a link out of the job folder',
    (path) => symlink(join(dir.path, 'secret.txt'), path),
    /outside|leaves|link/,
  ],
];

// A job with a good variant and one whose file is replaced by `make`.
async function hostileJob(legacy: boolean, make: (path: string) => Promise<void>): Promise<void> {
  await writeJob(outputs, {
    jobId: 'job1',
    title: 'Song',
    legacy,
    artifacts: [
      { path: 'files/audio/good.m4a', variant: 'instrumental', size: 500 },
      // v1 manifests record bytes 0: a FIFO's size is 0 too, so a size check alone let it through.
      { path: 'files/audio/bad.m4a', variant: 'no_drums', data: Buffer.alloc(0) },
    ],
  });
  const bad = join(outputs, 'job1', 'files', 'audio', 'bad.m4a');
  await rm(bad);
  await make(bad);
}

describe('sync never opens an artifact that is not a regular file inside its job folder', () => {
  for (const legacy of [true, false])
    for (const [what, make, said] of HOSTILE)
      it(`${legacy ? 'legacy' : 'v1'} manifest, the artifact is ${what}: refused with a reason, the other file delivered`, async () => {
        await hostileJob(legacy, make);
        const engine = createSyncEngine(engineOptions());
        const plan = await engine.plan();
        const summary = await engine.runPass();

        // The good variant arrives; nothing else is written to the NAS.
        expect(await readdir(join(nas, 'Music'))).toEqual(['Song (instrumental).m4a']);
        // The refusal names the file and what it is: at planning (legacy: it must be hashed) or when sent.
        const refusals = [
          ...plan.problems.map((problem) => problem.message),
          ...summary.outcomes.filter((o) => o.status === 'failed').map((o) => o.error ?? ''),
        ];
        expect(refusals).toHaveLength(1);
        expect(refusals[0]).toContain('bad.m4a');
        expect(refusals[0]).toMatch(said);
        expect(summary.delivered).toBe(1);
        // The secret stays where it was, unread into any destination.
        expect(await readFile(join(dir.path, 'secret.txt'), 'utf8')).toContain('not an artifact');
      }, 15_000);
});
