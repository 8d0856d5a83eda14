import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPLACED_DIR, partialDirName, replacedName } from '@imk/protocol';
import { ReceiptStore, createSyncEngine, type Receipt, type SyncEngineOptions } from '../src/index.ts';
import { audioJob, writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';

// A copy `imk sync verify` found gone holds its destination path while its job can send it again
// (resendCheck: the job is in outputs/). A pass that listed outputs/ while a worker replaced that job's
// folder (a mix of it saved: the folder moved to .replaced/, the partial folder not yet renamed into its
// place) took the job for gone and freed the path: another job's file routed there took it, and the job's
// own copy came back as "same (2).m4a" (conflict: replace would have written it over the other job's).

let dir: { path: string; remove(): Promise<void> };
let outputs: string;
let nas: string;
let receipts: ReceiptStore;
const same = () => join(nas, 'Music', 'same.m4a');
const numbered = () => join(nas, 'Music', 'same (2).m4a');

const options = (): SyncEngineOptions => ({
  outputsDir: outputs,
  receipts,
  remoteRoots: { audio: join(nas, 'Music') },
  backends: { nas: { type: 'local', fsync: false } },
  // Every job's audio onto one path: two jobs meet there.
  routes: [{ name: 'one', match: { kind: 'audio' }, to: '${remoteRoots.audio}/same.{ext}', backend: 'nas' }],
  conflict: 'rename',
  logger: testLogger(),
  retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
});

beforeEach(async () => {
  dir = await tempDir('imk-replace-moment-');
  outputs = join(dir.path, 'outputs');
  nas = join(dir.path, 'nas');
  receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
});
afterEach(async () => {
  receipts.close();
  await dir.remove();
});

const receiptOf = (jobId: string): Receipt | undefined =>
  [...receipts.all().values()].find((receipt) => receipt.jobId === jobId);

/**
 * Job A delivered to same.m4a, that copy deleted on the NAS and found gone by verify; then job A left where
 * publishOutputs is between its two renames (its folder, manifest.json inside, as the worker's partial
 * folder; the earlier one in .replaced/, kept here empty), and job B, routed to the same path, finished.
 * Returns the second rename.
 */
async function goneCopyOfABeingReplaced(): Promise<{ a: Buffer; secondRename: () => Promise<void> }> {
  const contents = await writeJob(outputs, audioJob('jobA'));
  expect(await createSyncEngine(options()).runPass()).toMatchObject({ delivered: 1 });
  await rm(same());
  expect(await createSyncEngine(options()).verify()).toMatchObject({ missing: 1 });
  const partial = join(outputs, partialDirName('jobA', 'worker-1'));
  await rename(join(outputs, 'jobA'), partial);
  await mkdir(join(outputs, REPLACED_DIR, replacedName('jobA', '20250101T000000Z')), { recursive: true });
  await writeJob(outputs, audioJob('jobB'));
  return {
    a: contents.get(audioJob('jobA').artifacts[0]!.path)!,
    secondRename: () => rename(partial, join(outputs, 'jobA')),
  };
}

describe('a sync pass while a job whose copy verify found gone is being replaced', () => {
  it("keeps the job's path: the other job's file goes beside it, and the copy, sent again, returns there", async () => {
    const { a, secondRename } = await goneCopyOfABeingReplaced();
    const pass = createSyncEngine(options()).runPass();
    await sleep(300);
    await secondRename();
    await pass;
    expect(receiptOf('jobB')).toMatchObject({ status: 'delivered', remotePath: numbered() });

    // `imk sync retry jobA`: its copy goes back where it was.
    receipts.resetFailures('jobA');
    await createSyncEngine(options()).runPass();
    expect(receiptOf('jobA')).toMatchObject({ status: 'delivered', remotePath: same() });
    expect(await readFile(same())).toEqual(a);
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['same (2).m4a', 'same.m4a']);
  });

  it('a worker stopped between the renames: the path stays held, nothing is released', async () => {
    await goneCopyOfABeingReplaced();
    const plan = await createSyncEngine(options()).plan();
    expect(plan.released).toEqual([]);
    expect(plan.transfers).toHaveLength(1);
    expect(plan.transfers[0]).toMatchObject({
      jobId: 'jobB',
      remotePath: numbered(),
      conflict: { resolution: 'renamed', holder: { jobId: 'jobA' } },
    });
  });
});
