import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger } from '@imk/ledger';
import { stemCacheFileName } from '@imk/protocol';
import { folderNames, imk, makeRoot, makeSong, publishV1, removeRoot } from './helpers.ts';

// Three worker processes on one root and 30 jobs: every job is done exactly once. Three different songs,
// ten jobs each, so workers also race to store the same stems in the shared cache. One-second songs: the
// claims are about jobs, claims and the cache, not the audio, and each job still takes the whole pipeline.
// WAV out for the same reason: an AAC encode costs each job ~0.3 s CPU more and proves nothing here.
const JOBS = 30;
let root: string;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    leaseMs: 20_000,
    variants: ['instrumental'],
    duplicates: 'process',
    output: { format: 'wav' },
  });
  await mkdir(join(root, 'media'));
  await Promise.all([0, 1, 2].map((i) => makeSong(join(root, 'media', `s${i}.m4a`), 1, 10 + i)));
  for (let i = 0; i < JOBS; i++) {
    const id = `scale_${String(i).padStart(2, '0')}`;
    await publishV1(
      root,
      'other',
      { job_id: id, source_type: 'local', artist: 'Scale', title: id, audio_path: 'a.m4a' },
      { 'a.m4a': join(root, 'media', `s${i % 3}.m4a`) },
    );
  }
}, 60_000);

afterAll(() => removeRoot(root));

describe('3 worker processes x 30 jobs', () => {
  it('does each job exactly once', async () => {
    const workers = await Promise.all(
      [0, 1, 2].map(() => imk(['run', '--once', '--concurrency', '1', '--root', root])),
    );
    for (const worker of workers) expect(worker.exitCode, String(worker.all)).toBe(0);
    const total = workers.reduce(
      (sum, w) => sum + (JSON.parse(String(w.stdout)) as { succeeded: number }).succeeded,
      0,
    );
    expect(total).toBe(JOBS);

    const queue = join(root, 'queues', 'other');
    const succeeded = await folderNames(join(queue, 'succeeded'));
    const ids = succeeded.map((name) => name.slice('job_'.length).split('@')[0]);
    expect(new Set(ids).size).toBe(JOBS);
    expect(ids).toHaveLength(JOBS);
    expect(await folderNames(join(queue, 'claimed'))).toEqual([]);
    expect(await folderNames(join(queue, 'failed'))).toEqual([]);
    expect((await folderNames(queue)).filter((n) => n.startsWith('job_'))).toEqual([]);
    expect((await folderNames(join(root, 'outputs'))).filter((n) => !n.startsWith('.')).sort()).toEqual(
      [...ids].sort(),
    );
    expect((await folderNames(join(root, 'outputs'))).filter((n) => n.startsWith('.'))).toEqual([]);

    const consumers = new Set<string>();
    for (const name of succeeded) {
      const result = JSON.parse(await readFile(join(queue, 'succeeded', name, 'imk-result.json'), 'utf8'));
      expect(result.attempt).toBe(1);
      consumers.add(result.consumer as string);
    }
    expect(consumers.size).toBeGreaterThanOrEqual(2);

    const ledger = openLedger({ root });
    try {
      for (const id of ids) {
        const detail = ledger.getJob(id!)!;
        expect(detail.events.filter((e) => e.state === 'succeeded')).toHaveLength(1);
        expect(detail.events.filter((e) => e.state === 'running')).toHaveLength(1);
      }
    } finally {
      ledger.close();
    }
    // Three songs: three separations kept (two workers may race on the same song; one entry is kept), never
    // one per job. An entry is also kept under its decoded audio's key, as hard links of the same stems
    // (mode both's second half finds it so): a separation is a set of stem files, counted by inode.
    const cache = join(root, 'state', 'cache', 'stems');
    const entries = (await folderNames(cache)).filter((n) => !n.startsWith('.'));
    const separations = new Set<number>();
    for (const entry of entries)
      separations.add((await stat(join(cache, entry, stemCacheFileName('vocals')))).ino);
    expect(separations.size, entries.join(', ')).toBe(3);
  });
});
