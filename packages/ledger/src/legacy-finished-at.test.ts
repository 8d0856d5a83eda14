import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptOutputs, openLedger, rebuildLedger } from './index.ts';

// A library of the earlier version copied with a plain `cp -r`: every manifest.json has the copy's mtime.
// A job's UPDATED time (`imk jobs`, `imk job`, the ledger) was that mtime, so every legacy job showed the
// copy time; the manifest says when the job was processed (processed_at), and that is the time now.
let root: string;
// Whole seconds: utimes keeps them exactly (a fraction of a millisecond may be rounded).
const COPIED = new Date(Math.floor(Date.now() / 1000) * 1000);

async function legacyOutput(jobId: string, processedAt: unknown): Promise<void> {
  const dir = join(root, 'outputs', jobId);
  await mkdir(dir, { recursive: true });
  const manifest = join(dir, 'manifest.json');
  await writeFile(
    manifest,
    JSON.stringify({
      job_id: jobId,
      source_type: 'youtube',
      artist: 'Chan',
      album: 'YTDL',
      title: jobId,
      processed_at: processedAt,
      artifacts: [{ kind: 'audio', variant: 'instrumental', path: `files/audio/${jobId}.m4a`, sha256: null }],
      stems_generated: true,
      stems_preserved: false,
    }),
  );
  await utimes(manifest, COPIED, COPIED);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-legacy-time-'));
  await legacyOutput('old', '2021-03-04T05:06:07.123456+00:00');
  await legacyOutput('unknown', null);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("a legacy job's time after its outputs were copied", () => {
  it('is its processed_at when adopted (imk jobs, imk job), the copy time only when it says none', async () => {
    const ledger = openLedger({ root });
    try {
      await adoptOutputs(ledger, join(root, 'outputs'));
      expect(ledger.getJob('old')?.job.updated_at).toBe('2021-03-04T05:06:07.123Z');
      expect(ledger.getJob('unknown')?.job.updated_at).toBe(COPIED.toISOString());
    } finally {
      ledger.close();
    }
  });

  it('is its processed_at after imk ledger rebuild', async () => {
    await rebuildLedger({ root });
    const ledger = openLedger({ root });
    try {
      expect(ledger.getJob('old')?.job.updated_at).toBe('2021-03-04T05:06:07.123Z');
    } finally {
      ledger.close();
    }
  });
});
