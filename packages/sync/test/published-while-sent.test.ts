import { cp, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { REPLACED_DIR, partialDirName, replacedName } from '@imk/protocol';
import { createSyncEngine } from '../src/index.ts';
import { audioJob, writeJob } from './fixtures.ts';
import { engineFixtures, engineOptions, nas, outputs } from './engine-kit.ts';

engineFixtures();

// A job published again while a sync pass sends it (a mix of it saved, a re-run): the worker moves
// outputs/<job_id>/ aside and renames its partial folder into its place, so for a moment the job's files are
// not at their paths. A pass that looked then failed the artifact for good ("cannot be sent: … is missing",
// LOCAL_MISMATCH), and no later pass sent it until `imk sync retry`.
describe('a job published again while a pass sends it', () => {
  it('every artifact is delivered by the passes after it, none failed for good', async () => {
    const variants = ['instrumental', 'no_drums', 'drums_only'];
    await writeJob(outputs, audioJob('job1', variants));
    const partial = join(outputs, partialDirName('job1', 'worker-1'));
    await mkdir(join(outputs, REPLACED_DIR));
    // Published as the worker publishes: new outputs (a new folder, its manifest.json written anew) in the
    // partial folder, the job folder moved to .replaced/ (where it stays), the partial folder renamed in.
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        await cp(join(outputs, 'job1'), partial, { recursive: true });
        await rename(join(outputs, 'job1'), join(outputs, REPLACED_DIR, replacedName('job1', `2025${i}`)));
        await rename(partial, join(outputs, 'job1'));
        await sleep(1);
      }
    })();
    // Each pass to a destination of its own (a fresh set of transfers), retried at once when it failed.
    const PASSES = 40;
    const options = (i: number) =>
      engineOptions({
        remoteRoots: { audio: join(nas, `Music-${i}`), stems: join(nas, `Stems-${i}`) },
        retry: { attemptsPerPass: 1, initialDelaySec: 0, maxDelaySec: 0 },
      });
    const failedOnce: string[] = [];
    for (let i = 0; i < PASSES; i++) {
      const summary = await createSyncEngine(options(i)).runPass();
      for (const outcome of summary.outcomes)
        if (outcome.status === 'failed') failedOnce.push(`${outcome.errorCode}: ${outcome.error}`);
    }
    publishing = false;
    await publisher;
    const stuck: string[] = [];
    for (let i = 0; i < PASSES; i++) {
      const summary = await createSyncEngine(options(i)).runPass();
      expect(summary.failedFinal, `pass ${i}: ${failedOnce.join('; ')}`).toBe(0);
      const delivered = await readdir(join(nas, `Music-${i}`, 'Artist')).catch(() => []);
      if (delivered.length !== variants.length) stuck.push(`Music-${i}: ${delivered.join(', ')}`);
    }
    expect(stuck, failedOnce.join('; ')).toEqual([]);
  }, 120_000);
});
