import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, createSyncEngine, type BackendOptions, type SyncEngineOptions } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { capturingLogger, tempDir, testLogger } from './helpers.ts';
import { sshdSettings, startSshd, type SshdServer } from './servers/index.ts';

let sshd: SshdServer;
let dir: { path: string; remove(): Promise<void> };
let receipts: ReceiptStore;
let clock: number;

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});
beforeEach(async () => {
  await sshd.start();
  dir = await tempDir('imk-faults-ssh-');
  receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
  clock = Date.now();
});
afterEach(async () => {
  receipts.close();
  await dir.remove();
});

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function sshBackend(type: 'sftp' | 'rsync', over: Record<string, unknown> = {}): BackendOptions {
  return { ...sshdSettings(sshd, type), connectTimeoutSec: 5, ...over };
}

function engineFor(backend: BackendOptions, dest: string, over: Partial<SyncEngineOptions> = {}) {
  return createSyncEngine({
    outputsDir: join(dir.path, 'outputs'),
    receipts,
    remoteRoots: { audio: dest },
    backends: { nas: backend },
    routes: [
      {
        name: 'audio',
        match: { kind: 'audio' },
        to: '${remoteRoots.audio}/{title} ({variant}).{ext}',
        backend: 'nas',
      },
    ],
    logger: testLogger(),
    retry: { attemptsPerPass: 1, initialDelaySec: 30, maxDelaySec: 60 },
    now: () => clock,
    ...over,
  });
}

async function waitForTemp(folder: string, minBytes: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      // sftp writes the .imk-tmp name itself; rsync writes its own hidden temp file first.
      if (!name.startsWith('.')) continue;
      const size = await stat(join(folder, name)).then(
        (s) => (s.isFile() ? s.size : 0),
        () => 0,
      );
      if (size >= minBytes) return;
    }
    await sleep(50);
  }
  throw new Error(`no partial copy appeared in ${folder}`);
}

describe.each(['sftp', 'rsync'] as const)('%s over a real sshd', (type) => {
  it('sshd killed mid-transfer, then back: the file is delivered whole and no partial remains', async () => {
    const dest = join(sshd.dataDir, `killed-${type}`);
    const contents = await writeJob(join(dir.path, 'outputs'), {
      jobId: 'big1',
      title: 'Big',
      artifacts: [{ path: 'files/audio/big.m4a', size: 8 * 1024 * 1024 }],
    });
    const engine = engineFor(sshBackend(type, { bandwidthLimit: '2M' }), dest);
    const pass = engine.runPass();
    await waitForTemp(dest, 512 * 1024);
    sshd.kill();
    const failed = await pass;
    expect(failed).toMatchObject({ delivered: 0, failed: 1 });
    expect(failed.outcomes[0]).toMatchObject({ final: false });
    await expect(stat(join(dest, 'Big (instrumental).m4a'))).rejects.toThrow();

    await sshd.start();
    clock += 120_000;
    const retried = await engineFor(sshBackend(type), dest).runPass();
    expect(retried).toMatchObject({ delivered: 1, failed: 0 });
    const delivered = await readFile(join(dest, 'Big (instrumental).m4a'));
    expect(sha256(delivered)).toBe(sha256(contents.get('files/audio/big.m4a')!));
    expect(await readdir(dest)).toEqual(['Big (instrumental).m4a']);
  });

  it('a wrong key is a clear final error, reported once and not retried until the config changes', async () => {
    const dest = join(sshd.dataDir, `wrong-key-${type}`);
    for (const id of ['a1', 'a2', 'a3'])
      await writeJob(join(dir.path, 'outputs'), { jobId: id, artifacts: [{ path: 'files/audio/x.m4a' }] });
    const { logger, lines } = capturingLogger();
    const wrong = sshBackend(type, { privateKeyFile: sshd.wrongKey });
    const first = await engineFor(wrong, dest, { logger }).runPass();
    expect(first).toMatchObject({ delivered: 0, failed: 3 });
    for (const outcome of first.outcomes)
      expect(outcome).toMatchObject({ final: true, errorCode: 'AUTH_FAILED' });
    expect(first.outcomes[0]?.error).toMatch(/refused the login/);
    const errors = lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(lines())).not.toContain(sshd.wrongKey);

    clock += 3_600_000;
    const second = await engineFor(wrong, dest, { logger }).runPass();
    expect(second).toMatchObject({ delivered: 0, failed: 0, failedFinal: 3 });

    // The user fixes the key: the backend's fingerprint changes and the transfers go.
    const fixed = await engineFor(sshBackend(type), dest).runPass();
    expect(fixed).toMatchObject({ delivered: 3, failed: 0 });
  });
});
