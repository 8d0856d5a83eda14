import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimMix } from '../src/mix-claim.ts';
import {
  imk,
  publishV1,
  readManifest,
  removeRoot,
  rootWithSeparatedSong,
  waitedOnLiveClaim,
  waitFor,
} from './helpers.ts';

// Two workers (two hosts sharing outputs/ over NFS or SMB, or two `imk run` on one machine) saving mixes of
// one job: each read the job's manifest, built its own folder and published; the second replaced the
// first's (its mix gone from the job) or removed its half-built folder (it failed). One mix of a job at a
// time held only inside one worker. Now a claim on disk (outputs/.<job>.mixing/) is held across workers.
// Here the other worker is this test process, holding the claim through the same code; real `imk run`.
const LEASE_MS = 1500;
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

const remix = (id: string, variant: string) =>
  publishV1(
    root,
    'other',
    {
      job_id: id,
      source_type: 'remix',
      artist: 'A',
      title: 'Song',
      remix: { of: 'song', variant, stems: { drums: 1, bass: 0.5 } },
    },
    {},
  );
const mixes = async () => (await readManifest(root, 'song')).artifacts.map((a) => a.variant).sort();
const outputNames = async () => (await readdir(join(root, 'outputs'))).sort();

describe('a mix of a job whose outputs another worker is changing', () => {
  it('waits for that worker to finish, then adds its mix to what that worker published', async () => {
    const controller = new AbortController();
    const other = await claimMix({
      outputsDir: join(root, 'outputs'),
      jobId: 'song',
      consumerId: 'other-host-1-abc',
      leaseMs: LEASE_MS,
      pollMs: 50,
      signal: controller.signal,
    });
    await remix('remix_waits', 'waiting_mix');
    const worker = imk(['run', '--once', '--root', root], { env: { IMK_LOG_LEVEL: 'debug' } });
    let log = '';
    worker.all?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitFor(() => log.includes('being written by other-host-1-abc'), 20_000, 'the worker to wait');
    // Held past several leases (heartbeating): the worker, by its own clock, has looked and found the lease
    // moving for 2.5 leases, keeps waiting and publishes nothing.
    await waitFor(() => waitedOnLiveClaim(log, LEASE_MS * 2.5), 30_000, 'the worker to wait 2.5 leases');
    expect(await mixes()).toEqual(['instrumental']);
    expect(log).not.toContain('took over');
    await other.release();
    const result = await worker;
    expect(JSON.parse(String(result.stdout)), log).toMatchObject({ succeeded: 1, failed: 0 });
    expect(await mixes()).toEqual(['instrumental', 'waiting_mix']);
    // The claim is gone with the mix done.
    expect((await outputNames()).filter((n) => n.endsWith('.mixing'))).toEqual([]);
  }, 60_000);

  it('takes over a claim whose holder stopped heartbeating (crashed host) after the lease, and says so', async () => {
    // What a worker SIGKILLed mid-mix on another host leaves: the claim folder with a lease that never moves.
    const claim = join(root, 'outputs', '.song.mixing');
    await mkdir(claim);
    await writeFile(join(claim, 'crashed-host-7-def.a1b2.lease'), `${'3'.padStart(20, '0')}\n`);
    await remix('remix_after_crash', 'after_crash');
    const started = performance.now();
    const result = await imk(['run', '--once', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1, failed: 0 });
    expect(performance.now() - started).toBeGreaterThan(LEASE_MS);
    expect(String(result.all)).toContain('took over the mix claim of job song from crashed-host-7-def');
    expect(await mixes()).toEqual(['after_crash', 'instrumental', 'waiting_mix']);
    expect((await outputNames()).filter((n) => n.startsWith('.song.mixing'))).toEqual([]);
  }, 60_000);

  it("takes away a file left under the claim's name after the lease, instead of spinning on it", async () => {
    await writeFile(join(root, 'outputs', '.song.mixing'), 'not a claim');
    await remix('remix_after_file', 'after_file');
    const result = await imk(['run', '--once', '--root', root], { env: { IMK_LOG_LEVEL: 'info' } });
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1, failed: 0 });
    expect(await mixes()).toContain('after_file');
    expect((await outputNames()).filter((n) => n.startsWith('.song.mixing'))).toEqual([]);
  }, 60_000);
});
