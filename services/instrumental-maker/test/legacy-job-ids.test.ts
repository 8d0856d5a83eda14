import { copyFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, publishLegacy, readManifest, removeRoot } from './helpers.ts';

// The earlier version's consumer took any `job_*` folder and any text as job_id (outputs/<job_id>/), so
// bundles made by hand or by a custom producer carry ids with spaces and non-ASCII letters. Such a bundle
// was rejected here ("is not job_<id> with an id of letters, digits…"), the song never made. Real `imk`
// processes: the worker, imk jobs / imk job, and nas-sync to a local folder.
const IDS = ['Café del Mar 01', '日本語の歌 (live) + more'];
let root: string;
let nas: string;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'flac' } });
  nas = join(root, 'nas');
  await writeFile(
    join(root, 'config', 'nas-sync.yaml'),
    `nasSync:\n  enabled: true\n  routes:\n    - match: { kind: audio }\n      to: ${nas}/{job_id}/\n`,
  );
  await makeSong(join(root, 'song.m4a'), 3);
  for (const id of IDS)
    await publishLegacy(
      root,
      'other',
      {
        job_id: id,
        source_type: 'custom',
        artist: 'A',
        album: 'B',
        title: `Song ${id}`,
        audio_path: 'song.m4a',
      },
      { 'song.m4a': join(root, 'song.m4a') },
    );
  // Its folder named on macOS (NFD, "Bjo\u0308rk"), its job.json written by a script (NFC, "Björk").
  const nfd = 'Bjo\u0308rk Song';
  await mkdir(join(root, 'queues', 'other', `job_${nfd}.tmp`), { recursive: true });
  await copyFile(join(root, 'song.m4a'), join(root, 'queues', 'other', `job_${nfd}.tmp`, 'song.m4a'));
  await writeFile(
    join(root, 'queues', 'other', `job_${nfd}.tmp`, 'job.json'),
    JSON.stringify({
      job_id: nfd.normalize('NFC'),
      source_type: 'custom',
      title: 'B',
      audio_path: 'song.m4a',
    }),
  );
  await rename(join(root, 'queues', 'other', `job_${nfd}.tmp`), join(root, 'queues', 'other', `job_${nfd}`));
}, 60_000);
afterAll(() => removeRoot(root));

describe('bundles whose job_id has spaces or non-ASCII letters', () => {
  it('are made, published as outputs/<job_id>/, listed, shown and synced under that id', async () => {
    const run = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(run.stdout)), String(run.all)).toMatchObject({ succeeded: 3, rejected: 0 });
    // The id in another Unicode normalisation than its folder's is that job, spelt as on disk.
    expect((await readManifest(root, 'Bjo\u0308rk Song')).job_id).toBe('Bjo\u0308rk Song');
    for (const id of IDS) {
      const manifest = await readManifest(root, id);
      expect(manifest.job_id).toBe(id);
      expect(manifest.artifacts.map((a) => a.path)).toEqual([`files/audio/A - Song ${id}.flac`]);
      expect(await readdir(join(root, 'outputs', id, 'files', 'audio'))).toEqual([`A - Song ${id}.flac`]);
    }
    // Archived as succeeded under its own name.
    const archived = await readdir(join(root, 'queues', 'other', 'succeeded'));
    for (const id of IDS)
      expect(
        archived.some((name) => name.startsWith(`job_${id}`)),
        id,
      ).toBe(true);

    const jobs = await imk(['jobs', '--json', '--root', root]);
    const rows = JSON.parse(String(jobs.stdout)) as { job_id: string; state: string }[];
    for (const id of IDS) expect(rows.find((r) => r.job_id === id)?.state, id).toBe('succeeded');
    const job = await imk(['job', IDS[0]!, '--root', root]);
    expect(job.exitCode, String(job.all)).toBe(0);
    expect(String(job.stdout)).toContain(`files/audio/A - Song ${IDS[0]}.flac`);

    const sync = await imk(['sync', '--once', '--root', root]);
    expect(sync.exitCode, String(sync.all)).toBe(0);
    for (const id of IDS) expect(await readdir(join(nas, id)), id).toEqual([`A - Song ${id}.flac`]);
  }, 180_000);
});
