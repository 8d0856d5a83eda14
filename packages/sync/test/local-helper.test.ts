// The local backend's helper process (local-helper.ts), kept between passes and let go 2 s after the last one:
// a helper let go ends a moment after its channel is closed, and the next pass may have started a new helper
// meanwhile. The end of the old one used to fail every operation of the new one ("its helper process for the
// destination's file work ended"): a transfer of that pass failed for nothing. The old helper is held still
// (SIGSTOP) while it is let go, so that it ends only once the new one's operation is under way: a real
// helper process, a real tool run by it that waits on a FIFO until the test lets it end.
import { createHash } from 'node:crypto';
import { chmod, open, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalHelper, destinationSetup } from '../src/backends/local-helper.ts';
import { createRsyncBackend } from '../src/index.ts';
import type { ToolResult } from '../src/util/run-tool.ts';
import { descendants, waitForExit } from './servers/index.ts';
import { tempDir, testLogger } from './helpers.ts';

/** This process's helper processes (local-worker.ts) now. */
const helperPids = (): number[] =>
  descendants(process.pid)
    .map(({ pid }) => pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('local-worker');
      } catch {
        return false;
      }
    });

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await cleanup?.();
  cleanup = undefined;
});

describe('a helper let go when idle that ends after the next pass started a new one', () => {
  it("does not fail the new helper's operation", async () => {
    const dir = await tempDir('imk-local-helper-');
    const stopped: number[] = [];
    cleanup = async () => {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
      await dir.remove();
    };
    const helper = new LocalHelper('nas', 60_000);
    const setup = destinationSetup(
      { fsync: false, verify: 'size', maxNameBytes: 255 },
      { name: 'nas', env: process.env },
    );
    // A first pass: the helper starts and answers.
    expect(await helper.call(setup, 'stat', [join(dir.path, 'none')], dir.path)).toBeUndefined();
    const [old] = helperPids();
    expect(old, 'the first helper process').toBeDefined();
    // It is held still, then let go at the end of its idle time: it cannot end yet.
    process.kill(old!, 'SIGSTOP');
    stopped.push(old!);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    helper.endPass();
    vi.advanceTimersByTime(60_000);
    vi.useRealTimers();

    // The next pass: a new helper runs a tool that waits until the test writes to its FIFO.
    const fifo = join(dir.path, 'go');
    await execa('mkfifo', [fifo]);
    const tool = join(dir.path, 'tool');
    await writeFile(tool, `#!/bin/sh\ncat '${fifo}' > /dev/null\n`);
    await chmod(tool, 0o755);
    const running = helper.call<ToolResult>(setup, 'rsyncCopy', [tool, [], dir.path], dir.path);
    const outcome = running.then(
      (value) => ({ value }),
      (error: unknown) => ({ error: (error as Error).message }),
    );
    // Opening the FIFO returns once the tool has opened it: the new helper's operation is under way.
    const go = await open(fifo, 'w');
    expect(helperPids()).toContain(old);
    expect(helperPids().length, 'a new helper beside the old one').toBe(2);

    // Now the old helper ends (it was let go: its channel is closed), while the new one's operation runs.
    process.kill(old!, 'SIGCONT');
    stopped.pop();
    await waitForExit(old!);
    await go.close();
    expect(await outcome).toMatchObject({ value: { exitCode: 0 } });
  }, 60_000);
});

// A local rsync run's output (--progress, which nas-sync adds) is the helper's sign of progress, and nothing
// else reads it: it used to be kept whole by execa as well, and a run that printed more than its 16 MiB buffer
// (a long bandwidth-limited run, a batch of many files) was killed for it and failed. Here the rsync program
// prints 17 MB of progress-like output before it copies, as such a run would over time.
describe('a local rsync run that prints more output than the buffer holds', () => {
  it('delivers (its stdout is progress, not kept)', async () => {
    const dir = await tempDir('imk-local-helper-');
    cleanup = dir.remove;
    const rsync = join(dir.path, 'chatty-rsync');
    await writeFile(rsync, `#!/bin/sh\nhead -c 17000000 /dev/zero | tr '\\0' 'x'\nexec rsync "$@"\n`);
    await chmod(rsync, 0o755);
    const root = join(dir.path, 'nas');
    const data = Buffer.from('instrumental bytes');
    const localPath = join(dir.path, 'a.m4a');
    await writeFile(localPath, data);
    const backend = createRsyncBackend(
      { type: 'rsync', root, rsyncBinary: rsync },
      { name: 'chatty', logger: testLogger() },
    );
    try {
      await expect(
        backend.put({
          localPath,
          bytes: data.length,
          sha256: createHash('sha256').update(data).digest('hex'),
          remotePath: '/Music/a.m4a',
        }),
      ).resolves.toMatchObject({ bytes: data.length });
      expect(readFileSync(join(root, 'Music', 'a.m4a'))).toEqual(data);
    } finally {
      await backend.close();
    }
  }, 60_000);
});

// The watch on the helper's work took any silence of `silentMs` for a share that stopped answering: on a busy
// machine (the separation worker on every core beside nas-sync) a healthy rsync starved of CPU printed nothing
// for that long and its delivery failed UNREACHABLE. The silence is confirmed now by a look at the helper's
// processes: one waiting on a silent share sleeps and uses no CPU, one that works (or waits for a CPU) is
// runnable or uses CPU time. Here a real tool, under the helper, silent for longer than the bound: busy, it is
// let finish; asleep, it is given up on as before.
describe('a tool run by the helper that prints nothing for longer than the bound', () => {
  const run = async (script: string) => {
    const dir = await tempDir('imk-local-helper-');
    cleanup = dir.remove;
    const tool = join(dir.path, 'tool');
    await writeFile(tool, `#!/bin/sh\n${script}\n`);
    await chmod(tool, 0o755);
    const helper = new LocalHelper('nas', 1000);
    const setup = destinationSetup(
      { fsync: false, verify: 'size', maxNameBytes: 255 },
      { name: 'nas', env: process.env },
    );
    const started = performance.now();
    try {
      const outcome = await helper.call<ToolResult>(setup, 'rsyncCopy', [tool, [], dir.path], dir.path).then(
        (value) => ({ value }),
        (error: unknown) => ({ error: error as Error & { code?: string } }),
      );
      return { outcome, took: performance.now() - started };
    } finally {
      helper.endPass();
    }
  };

  it('working (using CPU, as rsync comparing checksums, or starved of it) is not taken for a silent share', async () => {
    // 3 s of work in a process under the tool's (timeout ends it with 124), three times the bound.
    const { outcome, took } = await run(`timeout 3 sh -c 'while :; do :; done'`);
    expect(outcome).toEqual({ value: expect.objectContaining({ exitCode: 124 }) });
    expect(took, 'it ran past the bound').toBeGreaterThan(2000);
  }, 60_000);

  it('asleep, using no CPU (as a process waiting on a share that stopped), is given up on: UNREACHABLE', async () => {
    // It would end by itself after 30 s: a rejection is the watch giving up on it.
    const { outcome, took } = await run('sleep 30');
    expect(outcome).toMatchObject({ error: { code: 'UNREACHABLE' } });
    expect((outcome as { error: Error }).error.message).toContain('made no progress for 1 s');
    expect(took).toBeGreaterThanOrEqual(1000);
  }, 60_000);
});
