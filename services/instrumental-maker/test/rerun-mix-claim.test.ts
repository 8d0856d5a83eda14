import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partialDirName } from '@imk/protocol';
import { claimMix } from '../src/mix-claim.ts';
import {
  imk,
  makeSong,
  publishV1,
  readManifest,
  removeRoot,
  rootWithSeparatedSong,
  waitedOnLiveClaim,
  waitFor,
} from './helpers.ts';

// A job can run again while a mix of it is being saved: the same job id published again once its
// succeeded archive was cleaned up (a YouTube video's id is the same every time it is fetched), or into
// another queue. Only remixes took the claim on a job's outputs, so the new run removed the half-built
// folder of the mix (outputs/.<job>.partial-…, it failed) and published outputs/<job>/ while the mix was
// about to publish the old files plus its own over it. Now the run takes the same claim: it waits while a
// mix holds it, and a mix waits for it. Here the other worker is this test process, holding the claim
// through the same code; real `imk run`.
const LEASE_MS = 1500;
const HOLDER = 'other-host-1-abc';
let root: string;

beforeAll(async () => {
  root = await rootWithSeparatedSong({
    pollMs: 100,
    leaseMs: LEASE_MS,
    variants: ['instrumental'],
    output: { format: 'wav' },
  });
}, 120_000);
afterAll(() => removeRoot(root));

describe('a job run again while a mix of it is being saved', () => {
  it("waits for the mix, leaves the mix's folder alone, then publishes", async () => {
    const before = (await readManifest(root, 'song')).input.sha256;
    // The other worker holds the claim and is building its mix's folder.
    const controller = new AbortController();
    const other = await claimMix({
      outputsDir: join(root, 'outputs'),
      jobId: 'song',
      consumerId: HOLDER,
      leaseMs: LEASE_MS,
      pollMs: 50,
      signal: controller.signal,
    });
    const mixFolder = join(root, 'outputs', partialDirName('song', HOLDER));
    await mkdir(mixFolder);
    await writeFile(join(mixFolder, 'half-written.wav'), 'RIFF');

    // The same job id again, with a new download of the song, its archive cleaned up by retention.
    await rm(join(root, 'queues', 'other', 'succeeded'), { recursive: true, force: true });
    await makeSong(join(root, 'again.m4a'), 2, 5);
    await publishV1(
      root,
      'other',
      { job_id: 'song', source_type: 'local', artist: 'A', title: 'Song', audio_path: 'again.m4a' },
      { 'again.m4a': join(root, 'again.m4a') },
    );
    const worker = imk(['run', '--once', '--root', root], { env: { IMK_LOG_LEVEL: 'debug' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitFor(() => log.includes(`being written by ${HOLDER}`), 60_000, 'the run to wait for the mix');
    // Held past several leases (heartbeating): the run, by its own clock, has looked and found the lease
    // moving for 2.5 leases, waits, publishes nothing, removes nothing.
    await waitFor(() => waitedOnLiveClaim(log, LEASE_MS * 2.5), 30_000, 'the run to wait 2.5 leases');
    expect((await readManifest(root, 'song')).input.sha256).toBe(before);
    expect(await readdir(mixFolder)).toEqual(['half-written.wav']);
    expect(log).not.toContain('took over');

    // The mix is done (its holder published or discarded its folder) and lets go.
    await rm(mixFolder, { recursive: true });
    await other.release();
    const result = await worker;
    expect(JSON.parse(String(result.stdout)), log).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await readManifest(root, 'song')).input.sha256).not.toBe(before);
    expect((await readdir(join(root, 'outputs'))).filter((n) => n.startsWith('.song.'))).toEqual([]);
  }, 120_000);
});
