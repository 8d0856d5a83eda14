// A pass with due transfers looks at every receipt's folder once (places.ts: the device and inode of the
// deepest existing folder). A share that no longer answers (a hard-mounted NFS export whose server died, a
// FUSE mount whose server is stopped) blocks a `stat` of it until it answers: that look hung the whole pass,
// so no destination got anything and `imk sync` never finished a pass. The look is now bounded in time, one
// `stat` child per mount: the silent share's destination is reported unreachable for this pass (retried
// later), every other destination is delivered. A real sshfs mount of a real sshd, stopped with SIGSTOP.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createSyncEngine, type SyncEngineOptions } from '../src/index.ts';
import { dir, share, receipts, signalServer, route, useDeadShare } from './dead-share-fixture.ts';
import { audioJob, writeJob } from './fixtures.ts';
import { capturingLogger } from './helpers.ts';
import { alive, descendants } from './servers/processes.ts';

useDeadShare('imk-dead-share-');

describe('a pass when one destination is on a share that stopped answering', () => {
  it('reports that destination unreachable within the bound and delivers to the others', async () => {
    const outputs = join(dir.path, 'outputs');
    const live = join(dir.path, 'live');
    const { logger, lines } = capturingLogger();
    const options: SyncEngineOptions = {
      outputsDir: outputs,
      receipts,
      remoteRoots: {},
      backends: { live: { type: 'local', fsync: false }, nas: { type: 'local', fsync: false } },
      routes: [route('live', 'instrumental', live), route('nas', 'no_drums', join(share.path, 'Music'))],
      logger,
      retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
      // nasSync.shareTimeoutSec, as a user sets it: short, so that the test waits less for the bound.
      shareTimeoutSec: 3,
    };
    await writeJob(outputs, { ...audioJob('first', ['instrumental', 'no_drums']), title: 'First' });
    const engine = createSyncEngine(options);
    try {
      // Both destinations work: each holds the first song, and a receipt names each folder.
      expect(await engine.runPass()).toMatchObject({ delivered: 2, failed: 0 });
      expect(await readdir(join(share.path, 'Music'))).toEqual(['First (no_drums).m4a']);
      await writeJob(outputs, { ...audioJob('second', ['instrumental', 'no_drums']), title: 'Second' });
      await signalServer('SIGSTOP');
      const pass = await Promise.race([engine.runPass(), sleep(60_000).then(() => 'hung' as const)]);
      // Before, the look at the share's folder never returned: the pass hung, delivering nothing anywhere.
      expect(pass, 'the pass hung on the share that does not answer').not.toBe('hung');
      // The pass ended because the look was bounded, not because the share answered: the `stat` that looked
      // at it is still waiting on the stopped server now that the pass is over.
      const waiting = descendants(process.pid).filter((p) => p.comm === 'stat');
      expect(waiting, 'one `stat` still waits on the stopped share').toHaveLength(1);
      expect(alive(waiting[0]!.pid)).toBe(true);
      expect(pass).toMatchObject({ delivered: 1, failed: 1, failedFinal: 0 });
      expect((await readdir(live)).sort()).toEqual(['First (instrumental).m4a', 'Second (instrumental).m4a']);
      const nasReceipt = (jobId: string) =>
        [...receipts.all().values()].find((r) => r.backend === 'nas' && r.jobId === jobId);
      expect(nasReceipt('second')).toMatchObject({ status: 'failed', errorCode: 'UNREACHABLE' });
      expect(nasReceipt('second')?.errorMessage).toMatch(/did not answer within 3 s/);
      // The engine's own word, once for the destination: its look timed out, it is retried later.
      const unreachable = () =>
        lines().filter((line) => String(line.msg).startsWith('destination unreachable, will retry later'));
      expect(unreachable()).toHaveLength(1);
      expect(unreachable()[0]).toMatchObject({ backend: 'nas' });
      expect(String(unreachable()[0]?.msg)).toMatch(/did not answer within 3 s/);
      // Another pass while the share is still silent is not held up by it: it asks nothing of the share (no
      // second `stat`, the first one still the only one waiting), so it has nothing to wait for, and reports
      // the destination unreachable again while delivering to the other.
      await writeJob(outputs, { ...audioJob('third', ['instrumental', 'no_drums']), title: 'Third' });
      const again = await Promise.race([engine.runPass(), sleep(60_000).then(() => 'hung' as const)]);
      expect(again, 'the second pass hung on the share that does not answer').not.toBe('hung');
      expect(again).toMatchObject({ delivered: 1, failed: 1 });
      expect(descendants(process.pid).filter((p) => p.comm === 'stat')).toEqual(waiting);
      expect(alive(waiting[0]!.pid)).toBe(true);
      expect(nasReceipt('third')).toMatchObject({ status: 'failed', errorCode: 'UNREACHABLE' });
      expect(unreachable()).toHaveLength(2);
      expect((await readdir(live)).sort()).toContain('Third (instrumental).m4a');
    } finally {
      await signalServer('SIGCONT').catch(() => undefined);
      await engine.close();
    }
  }, 180_000);
});
