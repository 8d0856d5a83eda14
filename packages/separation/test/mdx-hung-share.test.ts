// A model on a share that stops answering (a hard-mounted NFS or SMB share whose server hangs), for real: a
// test sshd's folder mounted with sshfs and no keep-alive, its server then SIGSTOPped, so every read through
// the mount waits for ever, as a hung NFS mount's does. The engine's model hash (its last 10 MB) was read
// with readSync on the main thread when the engine was made: the whole worker froze (no lease heartbeat, no
// cancel, no log) until the share came back. Now it is read off the main thread and the wait is abortable.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import {
  SSHFS_QUEUE_OPTIONS,
  descendants,
  mountSshfs,
  sshfsUsable,
  startSshd,
  type SshdServer,
  type SshfsMount,
} from '@imk/sync/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { inspectMdxModel } from '../src/mdx/inspect.ts';
import { makeTempDir } from './audio-fixtures.ts';
import { identityGraph } from './mdx-graphs.ts';
import { SHAPE } from './mdx-model-kit.ts';

let sshd: SshdServer | undefined;
let share: SshfsMount | undefined;
let stopped = false;
let cleanup: () => Promise<void> = () => Promise.resolve();

async function serverPids(server: SshdServer): Promise<number[]> {
  const pid = Number((await readFile(join(server.dir, 'sshd.pid'), 'utf8')).trim());
  return [pid, ...descendants(pid).map((p) => p.pid)];
}

async function signalServer(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  for (const pid of await serverPids(sshd!)) process.kill(pid, signal);
  stopped = signal === 'SIGSTOP';
}

afterAll(async () => {
  // The share answers again before it is unmounted: the read left waiting then ends.
  if (stopped) await signalServer('SIGCONT');
  await share?.unmount();
  await sshd?.stop();
  await cleanup();
});

describe('mdx engine: a model on a share that stops answering', () => {
  it('leaves the main thread running while the hash waits, and stops waiting when aborted', async () => {
    // Set up inside the test: a failed beforeAll is reported as a skip, which proves nothing.
    if (!(await sshfsUsable()))
      throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
    const temp = await makeTempDir('imk-mdx-hung-');
    cleanup = temp.cleanup;
    sshd = await startSshd();
    // Written on the server's side, so that nothing of it is in the mount's page cache: the first read of
    // it through the mount goes to the server.
    await writeFile(join(sshd.dataDir, 'Kim_Vocal_2.onnx'), identityGraph(SHAPE));
    await writeFile(
      join(sshd.dataDir, 'Kim_Vocal_2.json'),
      JSON.stringify({
        compensate: 1.01,
        mdx_dim_f_set: SHAPE.dimF,
        mdx_dim_t_set: Math.log2(SHAPE.dimT),
        mdx_n_fft_scale_set: SHAPE.nFft,
        primary_stem: 'Vocals',
      }),
    );
    share = await mountSshfs(sshd, sshd.dataDir, join(temp.dir, 'nas'), [
      ...SSHFS_QUEUE_OPTIONS,
      'ServerAliveInterval=0',
    ]);
    const model = join(share.path, 'Kim_Vocal_2.onnx');
    await signalServer('SIGSTOP');

    // The worker's heartbeat stands for everything else the main thread does: it must keep beating.
    let beats = 0;
    const heartbeat = setInterval(() => beats++, 20);
    const controller = new AbortController();
    try {
      const making = createMdxEngine({ model }, { signal: controller.signal }).catch((e: unknown) => e);
      const inspecting = inspectMdxModel(model);
      // Positive signal: ten beats while the engine is being made (with the old readSync, none ever came).
      while (beats < 10) await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort(new Error('job cancelled'));
      const error = await making;
      expect(isImkError(error, 'ABORTED'), String(error)).toBe(true);
      expect((error as Error).message).toContain(model);
      expect(stopped).toBe(true);
      // The share answers again: what was waiting on it goes on (imk models / doctor, not aborted).
      await signalServer('SIGCONT');
      const report = await inspectMdxModel(model);
      expect(report.problem).toBeNull();
      expect((await inspecting).hash).toBe(report.hash);
      // And an engine made now hashes the model as usual.
      const engine = await createMdxEngine({ model });
      expect(engine.params.model_hash).toBe(report.hash);
    } finally {
      clearInterval(heartbeat);
    }
  }, 60_000);
});
