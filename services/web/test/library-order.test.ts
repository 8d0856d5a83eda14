import { cp, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { servedTempRoot } from './helpers.ts';

// The library card listed songs by their manifest file's mtime: a library copied with `cp -r` (or synced
// without times) came in the order of the copy, whatever the songs' own times. It is sorted by when each
// job finished, the manifest's processed_at (as the ledger and `imk jobs` date it), the mtime only for a
// manifest without one; and a processed_at without a zone (the earlier version's isoformat()) is UTC on
// every host, given to the page in UTC, not read by each browser's clock.
const LEGACY = '/work/shared/legacy-samples/outputs/pyout_inst_003';
const served = servedTempRoot();
const savedTz = process.env.TZ;
afterEach(() => {
  process.env.TZ = savedTz;
});

async function copiedSong(id: string, processedAt: string | undefined, copiedAt: string): Promise<void> {
  const dir = join(served.root, 'outputs', id);
  await cp(LEGACY, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  delete manifest.processed_at;
  const doc = { ...manifest, job_id: id, ...(processedAt !== undefined && { processed_at: processedAt }) };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(doc));
  await utimes(join(dir, 'manifest.json'), new Date(copiedAt), new Date(copiedAt));
}

describe('the library, copied with cp -r', () => {
  it("lists songs newest first by their manifest's own time, in UTC", async () => {
    // On a host in Tokyo, Date.parse reads a time without a zone as 9 hours earlier than UTC.
    process.env.TZ = 'Asia/Tokyo';
    // Copied oldest song last: the copy's mtimes run against the songs' own order.
    await copiedSong('newest', '2025-06-01T10:00:00.000000Z', '2026-01-01T00:00:00Z');
    await copiedSong('naive', '2025-03-01T10:00:00.5', '2026-01-01T00:01:00Z');
    await copiedSong('zoned', '2025-03-01T12:00:00+03:00', '2026-01-01T00:02:00Z');
    await copiedSong('oldest', '2024-01-01T10:00:00Z', '2026-01-01T00:03:00Z');
    // No processed_at: its manifest's mtime (2024-06) is all there is.
    await copiedSong('no_time', undefined, '2024-06-01T00:00:00Z');

    const response = await fetch(`${served.web.url}/api/outputs?limit=all`);
    const listed = (await response.json()) as { job_id: string; processed_at?: string }[];
    expect(listed.map((o) => o.job_id)).toEqual(['newest', 'naive', 'zoned', 'no_time', 'oldest']);
    expect(Object.fromEntries(listed.map((o) => [o.job_id, o.processed_at]))).toEqual({
      newest: '2025-06-01T10:00:00.000Z',
      naive: '2025-03-01T10:00:00.500Z',
      zoned: '2025-03-01T09:00:00.000Z',
      no_time: undefined,
      oldest: '2024-01-01T10:00:00.000Z',
    });
    // Cut to the newest two, by the same order.
    const two = (await (await fetch(`${served.web.url}/api/outputs?limit=2`)).json()) as { job_id: string }[];
    expect(two.map((o) => o.job_id)).toEqual(['newest', 'naive']);
  });
});
