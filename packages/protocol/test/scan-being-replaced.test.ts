import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  REPLACED_DIR,
  REPLACE_WAIT_MS,
  partialDirName,
  readListedThroughReplace,
  replacedName,
  scanOutputFolders,
} from '../src/index.ts';
import { minimalManifest } from './testing.ts';

// The readers that list outputs/ (the dashboard's library, nas-sync, the ledger) left out a job whose folder
// a worker was replacing as they listed: the earlier folder moved to .replaced/, the partial folder
// (manifest.json inside) not yet renamed into its place. nas-sync took such a job for gone.
let outputs: string;
beforeEach(async () => {
  outputs = await mkdtemp(join(tmpdir(), 'imk-scan-replace-'));
});
afterEach(async () => {
  await rm(outputs, { recursive: true, force: true });
});

const manifest = (jobId: string, title: string) => JSON.stringify(minimalManifest(jobId, { title }));

async function finished(jobId: string, title: string): Promise<void> {
  await mkdir(join(outputs, jobId), { recursive: true });
  await writeFile(join(outputs, jobId, 'manifest.json'), manifest(jobId, title));
}

/** Leaves `jobId` between publishOutputs's two renames; returns the second. */
async function betweenTheRenames(jobId: string, title: string): Promise<() => Promise<void>> {
  const partial = join(outputs, partialDirName(jobId, 'worker-1'));
  await mkdir(partial, { recursive: true });
  await writeFile(join(partial, 'manifest.json'), manifest(jobId, title));
  await mkdir(join(outputs, REPLACED_DIR), { recursive: true });
  await rename(join(outputs, jobId), join(outputs, REPLACED_DIR, replacedName(jobId, '20250101T000000Z')));
  return () => rename(partial, join(outputs, jobId));
}

const titleOf = async (manifestPath: string): Promise<string> =>
  (JSON.parse(await readFile(manifestPath, 'utf8')) as { title: string }).title;

describe('listing outputs/ while a job of it is being replaced', () => {
  it('lists the job once it is back, with its new outputs, among the others', async () => {
    await finished('a_song', 'A');
    await finished('mixed', 'Old');
    await finished('z_song', 'Z');
    const secondRename = await betweenTheRenames('mixed', 'New');

    const scanned = scanOutputFolders(outputs);
    await sleep(300);
    await secondRename();
    const scan = await scanned;

    expect(scan.folders.map((f) => f.jobId)).toEqual(['a_song', 'mixed', 'z_song']);
    expect(await titleOf(scan.folders[1]!.manifestPath)).toBe('New');
    expect(scan.replacing).toEqual([]);
  });

  it('a worker stopped between the renames: the job is said to be being replaced, after the wait', async () => {
    await finished('a_song', 'A');
    await finished('stopped', 'Old');
    await betweenTheRenames('stopped', 'New');
    const started = Date.now();
    const scan = await scanOutputFolders(outputs);
    expect(scan.folders.map((f) => f.jobId)).toEqual(['a_song']);
    expect(scan.replacing).toEqual(['stopped']);
    expect(Date.now() - started).toBeLessThan(REPLACE_WAIT_MS + 2000);
  });

  it('waits for nothing else: a job being made, one of a like name, a folder without a manifest', async () => {
    await finished('a_song', 'A');
    // Being made: no manifest.json in its partial folder yet.
    await mkdir(join(outputs, partialDirName('running', 'worker-1'), 'files'), { recursive: true });
    // A folder without a manifest, x, and job x.partial-y (published) about to be replaced: its finished
    // partial folder is not x's.
    await mkdir(join(outputs, 'x'), { recursive: true });
    await finished('x.partial-y', 'XY');
    await mkdir(join(outputs, partialDirName('x.partial-y', 'worker-1')), { recursive: true });
    await writeFile(join(outputs, partialDirName('x.partial-y', 'worker-1'), 'manifest.json'), '{}');
    const started = Date.now();
    const scan = await scanOutputFolders(outputs);
    expect(Date.now() - started).toBeLessThan(REPLACE_WAIT_MS / 2);
    expect(scan.folders.map((f) => f.jobId)).toEqual(['a_song', 'x.partial-y']);
    expect(scan.replacing).toEqual([]);
  });
});

describe('listing outputs/ while a job of it is published again and again', () => {
  it('lists the job in every listing, a publish every millisecond', async () => {
    // A listing reads each job it named, then reads again those it found nothing in. A job folder moved
    // aside during the first read and again during the second (two publishes within two reads) was left out
    // of that listing: its second read, of a folder "there", was taken as the answer.
    for (let i = 0; i < 40; i++) await finished(`song_${String(i).padStart(2, '0')}`, 'Other');
    await finished('republished', 'Take 0');
    const partial = join(outputs, partialDirName('republished', 'worker-1'));
    await mkdir(join(outputs, REPLACED_DIR));
    let publishing = true;
    let listings = 0;
    const missing: number[] = [];
    const lister = async () => {
      while (publishing) {
        const scan = await scanOutputFolders(outputs);
        listings++;
        if (!scan.folders.some((folder) => folder.jobId === 'republished')) missing.push(listings);
      }
    };
    const listers = [lister(), lister()];
    // Published as the worker publishes: a new partial folder, manifest.json last, the job folder moved to
    // .replaced/ (where it stays), the partial folder renamed in.
    for (let i = 0; i < 2000 && (i < 300 || listings < 300); i++) {
      await mkdir(partial);
      await writeFile(join(partial, 'manifest.json'), manifest('republished', `Take ${i + 1}`));
      await rename(
        join(outputs, 'republished'),
        join(outputs, REPLACED_DIR, replacedName('republished', `${i}`)),
      );
      await rename(partial, join(outputs, 'republished'));
      await sleep(1);
    }
    publishing = false;
    await Promise.all(listers);
    expect(listings).toBeGreaterThanOrEqual(300);
    expect(missing).toEqual([]);
  }, 60_000);
});

describe('the order of a listing of outputs/', () => {
  it('is the order asked, whichever read ends first: a job read across its replace is not put last', async () => {
    await finished('a_mixed', 'Old');
    await finished('z_song', 'Z');
    const secondRename = await betweenTheRenames('a_mixed', 'New');
    const read = async (jobId: string) =>
      (await stat(join(outputs, jobId, 'manifest.json')).catch(() => undefined)) && jobId;

    const listed = readListedThroughReplace(outputs, ['a_mixed', 'z_song'], read);
    await sleep(300);
    await secondRename();

    expect((await listed).found).toEqual(['a_mixed', 'z_song']);
  });

  it('is by job id, with the jobs read again across their replace among the others', async () => {
    const jobs = Array.from({ length: 12 }, (_, i) => `song_${String(i).padStart(2, '0')}`);
    for (const jobId of jobs) await finished(jobId, jobId);
    // Read again, each once back: the first job and one in the middle, the middle one back first.
    const first = await betweenTheRenames('song_00', 'New');
    const middle = await betweenTheRenames('song_05', 'New');

    const scanned = scanOutputFolders(outputs);
    await sleep(300);
    await middle();
    await sleep(100);
    await first();
    const scan = await scanned;

    expect(scan.folders.map((f) => f.jobId)).toEqual(jobs);
    expect(scan.replacing).toEqual([]);
  });
});
