// The folder look of a pass (places.ts) may be answered while the share still works, or from a cache, and
// the share stop answering only as the copy begins. The local backend wrote with this process's own
// file-system calls: the first of them on the silent share never returned, so that transfer and the whole
// pass hung (and each such call held one of the process's four file-system threads for good). The work at
// the destination now runs in a helper process with a no-progress watchdog: the share's destination fails
// UNREACHABLE for the pass, naming its folder, and the other destination is delivered. A real sshfs mount of
// a real sshd, stopped with SIGSTOP as the put begins (the test's backend says when: no sleep).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createBackend, createSyncEngine, type SyncBackend, type SyncEngineOptions } from '../src/index.ts';
import { dir, share, receipts, signalServer, route, useDeadShare } from './dead-share-fixture.ts';
import { audioJob, writeJob } from './fixtures.ts';
import { capturingLogger } from './helpers.ts';

useDeadShare('imk-dead-share-copy-');

describe('a pass when the share stops answering after its folder look, as the copy begins', () => {
  it('fails that destination within the bound, naming its folder, and delivers to the other', async () => {
    const outputs = join(dir.path, 'outputs');
    const live = join(dir.path, 'live');
    const music = join(share.path, 'Music');
    const { logger, lines } = capturingLogger();
    let stopAtPut = false;
    let clock = Date.now();
    const options: SyncEngineOptions = {
      outputsDir: outputs,
      receipts,
      remoteRoots: {},
      backends: { live: { type: 'local', fsync: false }, nas: { type: 'local', fsync: false } },
      routes: [route('live', 'instrumental', live), route('nas', 'no_drums', music)],
      logger,
      retry: { attemptsPerPass: 1, initialDelaySec: 60, maxDelaySec: 600 },
      // nasSync.shareTimeoutSec, as a user sets it: short, so that the test waits less for the bound.
      shareTimeoutSec: 3,
      now: () => clock,
      // The nas backend's put stops the share's server first: after the pass's look at its folder.
      createBackend: (backendOptions, context): SyncBackend => {
        const backend = createBackend(backendOptions, context);
        if (context.name !== 'nas') return backend;
        return {
          ...backend,
          put: async (request) => {
            if (stopAtPut) {
              stopAtPut = false;
              await signalServer('SIGSTOP');
            }
            return backend.put(request);
          },
        };
      },
    };
    await writeJob(outputs, { ...audioJob('first', ['instrumental', 'no_drums']), title: 'First' });
    const engine = createSyncEngine(options);
    try {
      expect(await engine.runPass()).toMatchObject({ delivered: 2, failed: 0 });
      expect(await readdir(music)).toEqual(['First (no_drums).m4a']);
      await writeJob(outputs, { ...audioJob('second', ['instrumental', 'no_drums']), title: 'Second' });
      stopAtPut = true;
      const started = performance.now();
      const pass = await Promise.race([engine.runPass(), sleep(60_000).then(() => 'hung' as const)]);
      // Before, the copy's first call on the share never returned: the pass hung.
      expect(pass, 'the pass hung on the copy to the share that stopped answering').not.toBe('hung');
      expect(stopAtPut, 'the put that stops the server ran').toBe(false);
      // Not timed from above (a loaded machine can take long over the rest of the work): what ended the
      // wait is the share's timer of 3 s, as the message below names it; and it did wait that long.
      expect(performance.now() - started).toBeGreaterThanOrEqual(3000);
      expect(pass).toMatchObject({ delivered: 1, failed: 1, failedFinal: 0 });
      expect((await readdir(live)).sort()).toEqual(['First (instrumental).m4a', 'Second (instrumental).m4a']);
      const nasSecond = [...receipts.all().values()].find((r) => r.backend === 'nas' && r.jobId === 'second');
      expect(nasSecond).toMatchObject({ status: 'failed', errorCode: 'UNREACHABLE' });
      expect(nasSecond?.errorMessage).toContain(`destination nas: ${music} made no progress for 3 s`);
      expect(nasSecond?.errorMessage).toMatch(/Check that the share's server is up/);
      expect(
        lines().some((line) => String(line.msg).startsWith('destination unreachable, will retry later')),
      ).toBe(true);

      // Once the server answers again, a later pass delivers the file and leaves no temporary copy.
      await signalServer('SIGCONT');
      let delivered = false;
      for (let tries = 0; tries < 30 && !delivered; tries++) {
        clock += 3_600_000; // past the failed transfer's backoff
        // The helper given up on ends once the share answers; until then the destination still fails fast.
        delivered = (await engine.runPass()).delivered === 1;
        if (!delivered) await sleep(200);
      }
      expect(delivered).toBe(true);
      expect((await readdir(music)).sort()).toEqual(['First (no_drums).m4a', 'Second (no_drums).m4a']);
    } finally {
      await signalServer('SIGCONT').catch(() => undefined);
      await engine.close();
    }
  }, 180_000);
});
