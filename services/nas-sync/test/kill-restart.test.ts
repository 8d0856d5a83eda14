import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ReceiptStore, receiptsFile } from '@imk/sync';
import { writeJob } from '@imk/sync/testing';
import { nodeScript } from '../../../packages/cli/test/bundle/scripts.ts';
import { localConfig, tempRoot, writeConfig } from './helpers.ts';

const RUN_ONCE = join(import.meta.dirname, 'fixtures', 'run-once.ts');
const JOBS = 20;

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

function deliveredCount(root: string): number {
  const receipts = ReceiptStore.open({ file: receiptsFile(root), readonly: true });
  if (!receipts) return 0;
  try {
    return [...receipts.all().values()].filter((r) => r.status === 'delivered').length;
  } finally {
    receipts.close();
  }
}

it('nas-sync SIGKILLed mid-run and restarted sends exactly the missing transfers', async () => {
  // 20 artifacts of 512 KiB at 4 MiB/s, one at a time: about 2.5 s for the whole run.
  await writeConfig(
    t.root,
    localConfig(t.nas, '\n      bandwidthLimit: 4M').replace('pollIntervalSec: 0.2', 'concurrency: 1'),
  );
  const contents = new Map<string, Buffer>();
  for (let i = 0; i < JOBS; i++) {
    const jobId = `job${String(i).padStart(2, '0')}`;
    const written = await writeJob(t.outputs, {
      jobId,
      artifacts: [{ path: 'files/audio/a.m4a', size: 512 * 1024 }],
    });
    contents.set(jobId, written.get('files/audio/a.m4a')!);
  }

  const first = execa('node', [...nodeScript(RUN_ONCE), t.root], { reject: false });
  try {
    const deadline = Date.now() + 60_000;
    while (deliveredCount(t.root) < 5 && Date.now() < deadline) await sleep(50);
  } finally {
    first.kill('SIGKILL');
  }
  const killed = await first;
  expect(killed.signal).toBe('SIGKILL');
  const before = deliveredCount(t.root);
  expect(before).toBeGreaterThanOrEqual(5);
  expect(before).toBeLessThan(JOBS);
  const music = join(t.nas, 'Music', 'Artist');
  const mtimes = new Map<string, number>();
  for (const name of await readdir(music))
    if (!name.startsWith('.')) mtimes.set(name, (await stat(join(music, name))).mtimeMs);

  // The restart takes over the dead process's lock and sends only what has no receipt.
  const second = await execa('node', [...nodeScript(RUN_ONCE), t.root]);
  const summary = JSON.parse(second.stdout) as {
    delivered: number;
    alreadyDelivered: number;
    failed: number;
  };
  expect(summary).toMatchObject({ delivered: JOBS - before, alreadyDelivered: before, failed: 0 });
  expect(deliveredCount(t.root)).toBe(JOBS);

  const names = await readdir(music);
  expect(names.filter((name) => name.startsWith('.'))).toEqual([]);
  expect(names).toHaveLength(JOBS);
  for (const [jobId, data] of contents) {
    const delivered = await readFile(join(music, `Title ${jobId} (instrumental).m4a`));
    expect(createHash('sha256').update(delivered).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
  }
  // Files with a receipt from the first run were not written again (a file whose copy finished but whose
  // receipt the kill prevented counts as missing and is sent again).
  let untouched = 0;
  for (const [name, mtime] of mtimes) if ((await stat(join(music, name))).mtimeMs === mtime) untouched++;
  expect(untouched).toBeGreaterThanOrEqual(before);
});
