import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeScript } from '../../cli/test/bundle/scripts.ts';
import { openLedger, subscribeProgress, type Ledger, type ProgressRow } from './index.ts';

let dir: string;
let ledger: Ledger;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-ledger-'));
  ledger = openLedger({ root: dir, progressIntervalMs: 10_000 });
});
afterEach(async () => {
  ledger.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ledger', () => {
  it('keeps every state change in order, with stages, errors, attempts and artifacts', () => {
    ledger.recordState('a1', { state: 'ready' }, { queue: 'other', artist: 'Band', title: 'Song' });
    ledger.recordState('a1', { state: 'running', attempt: 1, consumer: 'w1', stage: 'decode' });
    ledger.recordError('a1', { stage: 'separate', message: 'engine crashed', attempt: 1, retryable: true });
    ledger.recordState('a1', { state: 'retrying', attempt: 1, stage: 'separate', message: 'engine crashed' });
    ledger.recordState('a1', { state: 'running', attempt: 2, consumer: 'w2' });
    ledger.recordStage('a1', {
      stage: 'separate',
      attempt: 2,
      startedAt: new Date().toISOString(),
      durationSec: 1.5,
      outcome: 'cache_hit',
    });
    ledger.recordArtifacts('a1', [
      { path: 'files/audio/Band - Song.m4a', kind: 'audio', variant: 'instrumental', bytes: 10 },
    ]);
    ledger.recordState('a1', { state: 'succeeded', attempt: 2 }, { inputSha256: 'f'.repeat(64) });

    const detail = ledger.getJob('a1')!;
    expect(detail.job).toMatchObject({
      state: 'succeeded',
      attempts: 2,
      artist: 'Band',
      queue: 'other',
      last_error: null,
    });
    expect(detail.events.map((e) => e.state)).toEqual([
      'ready',
      'running',
      'retrying',
      'running',
      'succeeded',
    ]);
    expect(detail.errors).toEqual([
      expect.objectContaining({ stage: 'separate', message: 'engine crashed', attempt: 1, retryable: true }),
    ]);
    expect(detail.stages[0]).toMatchObject({ stage: 'separate', outcome: 'cache_hit', duration_sec: 1.5 });
    expect(detail.artifacts).toEqual([
      { path: 'files/audio/Band - Song.m4a', kind: 'audio', variant: 'instrumental', bytes: 10 },
    ]);
    expect(ledger.findSucceededByInput('f'.repeat(64))?.job_id).toBe('a1');
    expect(ledger.findSucceededByInput('f'.repeat(64), 'a1')).toBeUndefined();
    expect(ledger.listJobs({ state: 'succeeded' }).map((j) => j.job_id)).toEqual(['a1']);
    expect(ledger.listJobs({ state: 'failed' })).toEqual([]);
  });

  it('throttles progress writes, always writes a new stage, and clears progress when the job ends', () => {
    expect(ledger.setProgress('p1', { stage: 'separate', fraction: 0.1 })).toBe(true);
    expect(ledger.setProgress('p1', { stage: 'separate', fraction: 0.2 })).toBe(false);
    expect(ledger.setProgress('p1', { stage: 'encode', fraction: 0 })).toBe(true);
    expect(ledger.readProgress()).toEqual([
      expect.objectContaining({ job_id: 'p1', stage: 'encode', percent: 0 }),
    ]);
    ledger.recordState('p1', { state: 'succeeded' });
    expect(ledger.readProgress()).toEqual([]);
  });

  it('lets another process follow live progress written by a worker process', async () => {
    const seen: ProgressRow[][] = [];
    // The writer goes on to its next value once this follower has seen the last one (an acknowledgement
    // file per percent): each value is there to be seen for as long as a loaded machine takes to see it.
    const acks = join(dir, 'acks');
    await mkdir(acks);
    const stop = subscribeProgress({ root: dir, intervalMs: 20 }, (rows) => {
      seen.push(rows);
      for (const row of rows) if (row.job_id === 'live1') writeFileSync(join(acks, String(row.percent)), '');
    });
    const script = fileURLToPath(new URL('../test/write-progress.ts', import.meta.url));
    await execa('node', [...nodeScript(script), ledger.file, 'live1', acks]);
    stop();
    const percents = seen
      .flat()
      .filter((r) => r.job_id === 'live1')
      .map((r) => r.percent);
    expect(seen[0]).toEqual([]);
    expect(percents).toEqual(expect.arrayContaining([25, 50, 75]));
  });
});
