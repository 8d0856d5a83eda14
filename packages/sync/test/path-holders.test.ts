import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPLACED_DIR, partialDirName, replacedName } from '@imk/protocol';
import {
  ReceiptStore,
  destinationKey,
  createSyncEngine,
  pathHolders,
  type ConflictPolicy,
  type Receipt,
  type SyncEngineOptions,
} from '../src/index.ts';
import { audioJob, writeJob } from './fixtures.ts';
import { tempDir, testLogger } from './helpers.ts';

// Who holds a destination path: the plan, the transfers of a pass and `imk sync status` ask one rule
// (pathHolders). These are the cases where they used to answer differently: a copy `imk sync verify`
// found altered or gone held its path for status, but not for the plan or the transfers. It showed when that
// job was not in the pass: `imk sync --once --job <other>`, or its outputs were removed by retention.

let dir: { path: string; remove(): Promise<void> };
let outputs: string;
let nas: string;
let receipts: ReceiptStore;
const same = () => join(nas, 'Music', 'same.m4a');
const numbered = () => join(nas, 'Music', 'same (2).m4a');

function engineOptions(conflict: ConflictPolicy): SyncEngineOptions {
  return {
    outputsDir: outputs,
    receipts,
    remoteRoots: { audio: join(nas, 'Music') },
    backends: { nas: { type: 'local', fsync: false } },
    // Every job's audio onto one path: two jobs meet there.
    routes: [
      { name: 'one', match: { kind: 'audio' }, to: '${remoteRoots.audio}/same.{ext}', backend: 'nas' },
    ],
    conflict,
    logger: testLogger(),
    retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
  };
}

beforeEach(async () => {
  dir = await tempDir('imk-holders-');
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

/** Job A delivered to same.m4a, then the user edited that copy and `imk sync verify` noticed. */
async function alteredCopyOfA(conflict: ConflictPolicy): Promise<void> {
  await writeJob(outputs, audioJob('jobA'));
  expect(await createSyncEngine(engineOptions(conflict)).runPass()).toMatchObject({ delivered: 1 });
  await writeFile(same(), 'my own edit of this file');
  expect(await createSyncEngine(engineOptions(conflict)).verify()).toMatchObject({ changed: 1 });
  expect(receiptOf('jobA')).toMatchObject({ status: 'failed', errorCode: 'REMOTE_CHANGED' });
  await writeJob(outputs, audioJob('jobB'));
}

describe('who holds a destination path', () => {
  it('conflict: rename — a copy verify found altered still holds its path: the next job is renamed in the plan, naming the job that holds it', async () => {
    await alteredCopyOfA('rename');
    const engine = createSyncEngine(engineOptions('rename'));
    const planned = (await engine.plan({ jobId: 'jobB' })).transfers[0];
    expect(planned).toMatchObject({
      remotePath: numbered(),
      conflict: { resolution: 'renamed', path: same(), holder: { jobId: 'jobA' } },
    });
    expect(await engine.runPass({ jobId: 'jobB' })).toMatchObject({ delivered: 1 });
    expect(await readFile(same(), 'utf8')).toBe('my own edit of this file');
    expect(receiptOf('jobB')).toMatchObject({ status: 'delivered', remotePath: numbered() });
  });

  it('conflict: fail — the refusal names the job whose copy holds the path, not "a file no receipt wrote"', async () => {
    await alteredCopyOfA('fail');
    await createSyncEngine(engineOptions('fail')).runPass({ jobId: 'jobB' });
    const refused = receiptOf('jobB');
    expect(refused).toMatchObject({ status: 'failed', errorCode: 'CONFLICT', final: true });
    expect(refused?.errorMessage).toContain('of job jobA');
    expect(refused?.errorMessage).not.toContain('no receipt of this host wrote');
    expect(await readFile(same(), 'utf8')).toBe('my own edit of this file');
  });

  it('conflict: replace — overwriting a copy verify found altered is a recorded conflict, never a silent write', async () => {
    await alteredCopyOfA('replace');
    // Retention removed job A's outputs: its copy on the NAS stays, and so does its receipt.
    await rm(join(outputs, 'jobA'), { recursive: true });
    const plan = await createSyncEngine(engineOptions('replace')).plan();
    expect(plan.transfers).toHaveLength(1);
    expect(plan.transfers[0]?.conflict).toMatchObject({
      resolution: 'replaced',
      holder: { jobId: 'jobA' },
    });
    // Once replaced, job A's receipt holds the path no more: job B's does.
    await createSyncEngine(engineOptions('replace')).runPass();
    expect(receiptOf('jobA')?.replacedBy).toBe('jobB:files/audio/Artist - jobB (instrumental).m4a');
    expect(pathHolders(receipts.all().values()).get(destinationKey('nas', same()))?.jobId).toBe('jobB');
  });

  // `imk sync retry` after verify found a copy altered sends that artifact again. Its own receipt held the path
  // with the artifact's own sha256, so the plan took the user's edited file for this very copy: under
  // `replace` it was overwritten without a word (no conflict recorded), and under `rename` and `fail` the
  // destination's refusal said "a different file that no receipt of this host wrote".
  describe("imk sync retry of a copy verify found altered: the edited file is the user's now", () => {
    /** Job A delivered to same.m4a, the user edited that copy, verify noticed, and the user ran retry. */
    async function retriedAlteredCopy(conflict: ConflictPolicy) {
      await writeJob(outputs, audioJob('jobA'));
      const engine = () => createSyncEngine(engineOptions(conflict));
      expect(await engine().runPass()).toMatchObject({ delivered: 1 });
      await writeFile(same(), 'my own edit of this file');
      expect(await engine().verify()).toMatchObject({ changed: 1 });
      receipts.resetFailures('jobA');
      return engine().runPass();
    }

    it('rename: delivered beside it as (2), a conflict that names the altered copy', async () => {
      const summary = await retriedAlteredCopy('rename');
      expect(summary.outcomes[0]?.transfer).toMatchObject({
        remotePath: numbered(),
        conflict: { resolution: 'renamed', path: same(), holder: { jobId: 'jobA' } },
      });
      expect(await readFile(same(), 'utf8')).toBe('my own edit of this file');
    });

    it("fail: not sent, and the error says it is this artifact's copy, altered since", async () => {
      await retriedAlteredCopy('fail');
      const refused = receiptOf('jobA');
      expect(refused).toMatchObject({ status: 'failed', errorCode: 'CONFLICT', final: true });
      expect(refused?.errorMessage).toContain(
        "this artifact's own copy, altered there since it was delivered (imk sync verify found it changed)",
      );
      expect(refused?.errorMessage).not.toContain('no receipt of this host wrote');
      expect(await readFile(same(), 'utf8')).toBe('my own edit of this file');
    });

    it('replace: overwritten as asked, but as a recorded conflict, never silently', async () => {
      const summary = await retriedAlteredCopy('replace');
      expect(summary.outcomes[0]).toMatchObject({
        status: 'delivered',
        transfer: { remotePath: same(), conflict: { resolution: 'replaced', holder: { jobId: 'jobA' } } },
      });
    });
  });

  it('a copy verify found gone keeps its path for its return; another job is renamed meanwhile', async () => {
    const contents = await writeJob(outputs, audioJob('jobA'));
    expect(await createSyncEngine(engineOptions('rename')).runPass()).toMatchObject({ delivered: 1 });
    await rm(same());
    expect(await createSyncEngine(engineOptions('rename')).verify()).toMatchObject({ missing: 1 });
    await writeJob(outputs, audioJob('jobB'));
    await createSyncEngine(engineOptions('rename')).runPass({ jobId: 'jobB' });
    expect(receiptOf('jobB')).toMatchObject({ status: 'delivered', remotePath: numbered() });
    receipts.resetFailures('jobA');
    await createSyncEngine(engineOptions('rename')).runPass();
    expect(receiptOf('jobA')).toMatchObject({ status: 'delivered', remotePath: same() });
    expect(await readFile(same())).toEqual(contents.get(audioJob('jobA').artifacts[0]!.path));
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['same (2).m4a', 'same.m4a']);
  });

  /** Job A delivered to same.m4a, then that copy was deleted on the NAS and `imk sync verify` noticed. */
  async function goneCopyOfA(): Promise<Map<string, Buffer>> {
    const contents = await writeJob(outputs, audioJob('jobA'));
    expect(await createSyncEngine(engineOptions('rename')).runPass()).toMatchObject({ delivered: 1 });
    await rm(same());
    expect(await createSyncEngine(engineOptions('rename')).verify()).toMatchObject({ missing: 1 });
    return contents;
  }

  it('a copy verify found gone, whose outputs retention removed, frees its path: the next job gets it, not (2)', async () => {
    await goneCopyOfA();
    await rm(join(outputs, 'jobA'), { recursive: true });
    await writeJob(outputs, audioJob('jobB'));
    const engine = createSyncEngine(engineOptions('rename'));
    for (const plan of [await engine.plan(), await engine.plan({ jobId: 'jobB' })]) {
      expect(plan.transfers[0]).toMatchObject({ jobId: 'jobB', remotePath: same() });
      expect(plan.transfers[0]?.conflict).toBeUndefined();
      expect(plan.released.map((receipt) => receipt.jobId)).toEqual(['jobA']);
    }
    expect(await engine.runPass()).toMatchObject({ delivered: 1 });
    expect(receiptOf('jobB')).toMatchObject({ status: 'delivered', remotePath: same() });
    expect(await readdir(join(nas, 'Music'))).toEqual(['same.m4a']);
  });

  it('a copy verify found gone frees its path once its job was processed again: the new version takes it, not (2)', async () => {
    await goneCopyOfA();
    const again = await writeJob(outputs, audioJob('jobA'));
    expect(await createSyncEngine(engineOptions('rename')).runPass()).toMatchObject({ delivered: 1 });
    expect(await readdir(join(nas, 'Music'))).toEqual(['same.m4a']);
    expect(await readFile(same())).toEqual(again.get(audioJob('jobA').artifacts[0]!.path));
  });

  it('a copy verify found gone keeps its path while its retry fails for another reason, and returns there', async () => {
    const contents = await goneCopyOfA();
    const source = join(outputs, 'jobA', audioJob('jobA').artifacts[0]!.path);
    await rm(source);
    receipts.resetFailures('jobA');
    expect(await createSyncEngine(engineOptions('rename')).runPass()).toMatchObject({ failed: 1 });
    const failed = receiptOf('jobA');
    expect(failed?.status).toBe('failed');
    expect(failed?.errorCode).not.toBe('REMOTE_MISSING');
    // Still held: another job is renamed, as while the copy was merely gone.
    await writeJob(outputs, audioJob('jobB'));
    await createSyncEngine(engineOptions('rename')).runPass({ jobId: 'jobB' });
    expect(receiptOf('jobB')).toMatchObject({ status: 'delivered', remotePath: numbered() });
    // The source is back: the retry sends it to its own path.
    await writeFile(source, contents.get(audioJob('jobA').artifacts[0]!.path)!);
    receipts.resetFailures('jobA');
    await createSyncEngine(engineOptions('rename')).runPass();
    expect(receiptOf('jobA')).toMatchObject({ status: 'delivered', remotePath: same() });
    expect(await readFile(same())).toEqual(contents.get(audioJob('jobA').artifacts[0]!.path));
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['same (2).m4a', 'same.m4a']);
  });

  it('holds: delivered copies (earlier versions too) and verify findings; not failed attempts, nor replaced copies', () => {
    const base: Receipt = {
      jobId: 'j',
      artifactPath: 'a.m4a',
      destination: 'nas:/p',
      sha256: '1',
      backend: 'nas',
      remotePath: '/p',
      bytes: 1,
      status: 'delivered',
      final: false,
      attempts: 1,
      errorCode: undefined,
      errorMessage: undefined,
      nextAttemptAt: undefined,
      backendFingerprint: '',
      verifiedBy: undefined,
      deliveredAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      replacedBy: undefined,
    };
    const at = (path: string, over: Partial<Receipt>): Receipt => ({ ...base, remotePath: path, ...over });
    const held = pathHolders([
      at('/delivered', {}),
      at('/missing', { status: 'failed', errorCode: 'REMOTE_MISSING' }),
      at('/changed', { status: 'failed', errorCode: 'REMOTE_CHANGED' }),
      at('/failed', { status: 'failed', errorCode: 'HOST_DOWN' }),
      at('/replaced', { replacedBy: 'k:b.m4a' }),
      // A copy found gone, then another artifact delivered there: the delivered one is what is there now.
      at('/both', { jobId: 'gone', status: 'failed', errorCode: 'REMOTE_MISSING' }),
      at('/both', { jobId: 'now' }),
    ]);
    expect([...held.keys()].map((key) => key.split('\u0000')[1]).sort()).toEqual([
      '/both',
      '/changed',
      '/delivered',
      '/missing',
    ]);
    expect(held.get('nas\u0000/both')?.jobId).toBe('now');
  });
});

// A pass that listed outputs/ while a worker replaced a job's folder (a mix of it saved: the folder moved to
// .replaced/, the partial folder not yet renamed into its place) took the job for gone (resendCheck) and
// freed the path of its copy verify had found gone: another job's file routed there took it, and the job's
// own copy came back as "same (2).m4a" (conflict: replace would have written it over the other job's).

/**
 * Job A delivered to same.m4a, that copy deleted on the NAS and found gone by verify; then job A left where
 * publishOutputs is between its two renames (its folder, manifest.json inside, as the worker's partial
 * folder; the earlier one in .replaced/, kept here empty), and job B, routed to the same path, finished.
 * Returns the second rename.
 */
async function goneCopyOfABeingReplaced(): Promise<{ a: Buffer; secondRename: () => Promise<void> }> {
  const contents = await writeJob(outputs, audioJob('jobA'));
  expect(await createSyncEngine(engineOptions('rename')).runPass()).toMatchObject({ delivered: 1 });
  await rm(same());
  expect(await createSyncEngine(engineOptions('rename')).verify()).toMatchObject({ missing: 1 });
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
    const pass = createSyncEngine(engineOptions('rename')).runPass();
    await sleep(300);
    await secondRename();
    await pass;
    expect(receiptOf('jobB')).toMatchObject({ status: 'delivered', remotePath: numbered() });

    // `imk sync retry jobA`: its copy goes back where it was.
    receipts.resetFailures('jobA');
    await createSyncEngine(engineOptions('rename')).runPass();
    expect(receiptOf('jobA')).toMatchObject({ status: 'delivered', remotePath: same() });
    expect(await readFile(same())).toEqual(a);
    expect((await readdir(join(nas, 'Music'))).sort()).toEqual(['same (2).m4a', 'same.m4a']);
  });

  it('a worker stopped between the renames: the path stays held, nothing is released', async () => {
    await goneCopyOfABeingReplaced();
    const plan = await createSyncEngine(engineOptions('rename')).plan();
    expect(plan.released).toEqual([]);
    expect(plan.transfers).toHaveLength(1);
    expect(plan.transfers[0]).toMatchObject({
      jobId: 'jobB',
      remotePath: numbered(),
      conflict: { resolution: 'renamed', holder: { jobId: 'jobA' } },
    });
  });
});
