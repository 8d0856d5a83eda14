// nasSync.shareTimeoutSec: how long a destination on this host (a mounted share) may go without answering
// before it is unreachable for the pass. It was a constant (10 s) in the sync package: a share that pauses
// longer on purpose (disks spinning up) could not be given more, nor a quicker verdict asked for. A real
// sshfs mount of a real sshd, stopped with SIGSTOP, delivered to through config/nas-sync.yaml and runNasSyncOnce.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { ReceiptStore } from '@imk/sync';
import {
  SSHFS_QUEUE_OPTIONS,
  audioJob,
  descendants,
  mountSshfs,
  sshfsUsable,
  startSshd,
  writeJob,
  type SshdServer,
  type SshfsMount,
} from '@imk/sync/testing';
import { loadNasSyncConfig, runNasSyncOnce } from '../src/index.ts';
import { capturingLogger, localConfig, tempRoot, writeConfig } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeAll(async () => {
  t = await tempRoot();
});
afterAll(() => t.remove());

const loadError = (yaml: string) =>
  writeConfig(t.root, yaml).then(() =>
    loadNasSyncConfig(t.root, {}).then(
      () => undefined,
      (error: unknown) => error as Error & { code?: string },
    ),
  );

describe('nasSync.shareTimeoutSec', () => {
  it('is 10 s unless set, and refused outside 1 to 600 s naming the field', async () => {
    await writeConfig(t.root, localConfig(t.nas));
    expect(await loadNasSyncConfig(t.root, {})).toMatchObject({ config: { shareTimeoutSec: 10 } });
    await writeConfig(
      t.root,
      localConfig(t.nas).replace('  enabled: true\n', '  enabled: true\n  shareTimeoutSec: 30\n'),
    );
    expect(await loadNasSyncConfig(t.root, {})).toMatchObject({ config: { shareTimeoutSec: 30 } });
    for (const bad of ['0', '601', '"soon"']) {
      const error = await loadError(
        localConfig(t.nas).replace('  enabled: true\n', `  enabled: true\n  shareTimeoutSec: ${bad}\n`),
      );
      expect(error?.code).toBe('CONFIG_INVALID');
      expect(error?.message).toContain('nasSync.shareTimeoutSec');
    }
  });

  describe('on a share whose server stopped', () => {
    let sshd: SshdServer;
    let share: SshfsMount;
    beforeAll(async () => {
      if (!(await sshfsUsable()))
        throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
      sshd = await startSshd();
      await mkdir(join(sshd.dataDir, 'share'));
      share = await mountSshfs(sshd, join(sshd.dataDir, 'share'), join(t.root, 'nas-mount'), [
        ...SSHFS_QUEUE_OPTIONS,
        'ServerAliveInterval=0',
      ]);
    }, 60_000);
    afterAll(async () => {
      await share?.unmount();
      await sshd?.stop();
    });

    async function signalServer(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
      const pid = Number((await readFile(join(sshd.dir, 'sshd.pid'), 'utf8')).trim());
      for (const p of [{ pid }, ...descendants(pid)]) process.kill(p.pid, signal);
    }

    it('gives it the seconds set, not the default 10', async () => {
      await writeConfig(
        t.root,
        localConfig(share.path).replace('  enabled: true\n', '  enabled: true\n  shareTimeoutSec: 2\n'),
      );
      const { logger } = capturingLogger();
      await writeJob(t.outputs, { ...audioJob('first', ['instrumental']), title: 'First' });
      expect(await runNasSyncOnce({ root: t.root, logger, env: {} })).toMatchObject({
        state: 'ran',
        summary: { delivered: 1, failed: 0 },
      });
      await writeJob(t.outputs, { ...audioJob('second', ['instrumental']), title: 'Second' });
      await signalServer('SIGSTOP');
      try {
        const started = performance.now();
        const result = await runNasSyncOnce({ root: t.root, logger, env: {} });
        expect(result).toMatchObject({ state: 'ran', summary: { delivered: 0, failed: 1 } });
        // It waited for the share, the seconds set at the least; which wait gave up is the receipt's to say
        // below (its message names the seconds of the very timer that fired: 2, not the default 10), not the
        // clock's: a loaded machine may take seconds more for the rest of the run.
        expect(performance.now() - started).toBeGreaterThanOrEqual(2000);
      } finally {
        await signalServer('SIGCONT');
      }
      const receipts = ReceiptStore.open({ file: resolvePaths(t.root).receipts, readonly: true })!;
      try {
        const second = [...receipts.all().values()].find((r) => r.jobId === 'second');
        expect(second).toMatchObject({ status: 'failed', errorCode: 'UNREACHABLE' });
        expect(second?.errorMessage).toMatch(/did not answer within 2 s|made no progress for 2 s/);
      } finally {
        receipts.close();
      }
    }, 120_000);
  });
});
