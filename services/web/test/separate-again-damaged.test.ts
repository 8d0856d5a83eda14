import { cp, mkdir, open, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File } from '@imk/fs-safe';
import { makeOutput, servedTempRoot } from './helpers.ts';

// "Separate again" read the archived bundle without its hashes (verifyHashes: false) and published the new
// bundle with the hashes of its copies: a song damaged in the archive after its job ran (a bad disk, a
// sync tool, someone's edit) was queued, separated and published as the song, with no word anywhere. Each
// copy is now checked against what the archived job.json declares: a damaged one is refused at the
// request, naming the job, the file and both hashes, and nothing is queued.
const served = servedTempRoot();

/**
 * A published job whose bundle is in its queue's succeeded archive as the worker left it: job.json declares
 * the song's sha256 and size (files[]), as every producer of this project writes it.
 */
async function archivedJob(
  id: string,
): Promise<{ dir: string; song: string; sha256: string; bytes: number }> {
  await makeOutput(served.root, id);
  const dir = join(served.root, 'queues', 'other', 'succeeded', `job_${id}`);
  await mkdir(dir, { recursive: true });
  const song = join(dir, 'song.m4a');
  await cp(join(served.root, 'outputs', id, 'files', 'audio', 'Test Artist - Sine Song.m4a'), song);
  const sha256 = await sha256File(song);
  const { size: bytes } = await stat(song);
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({
      schema_version: 1,
      job_id: id,
      source_type: 'local',
      artist: 'Test Artist',
      title: 'Sine Song',
      audio_path: 'song.m4a',
      files: [{ path: 'song.m4a', sha256, bytes }],
    }),
  );
  return { dir, song, sha256, bytes };
}

const separateAgain = (id: string) =>
  fetch(`${served.web.url}/api/jobs/${id}/separate-again`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });

/** Every entry of the queue folder made for "Separate again" of `id` (a bundle, or a .tmp left behind). */
const queuedFor = async (id: string) =>
  (await readdir(join(served.root, 'queues', 'other'))).filter((name) => name.startsWith(`job_${id}_again_`));

/** Ways an archived song gets damaged after its job ran. */
const DAMAGES: [string, (song: string, bytes: number) => Promise<void>][] = [
  [
    'a few bytes flipped in the middle (same size)',
    async (song, bytes) => {
      const handle = await open(song, 'r+');
      try {
        await handle.write(Buffer.from('damaged!'), 0, 8, Math.floor(bytes / 2));
      } finally {
        await handle.close();
      }
    },
  ],
  ['cut short', (song, bytes) => truncate(song, Math.floor(bytes / 3))],
  ['replaced by another file', (song) => writeFile(song, 'not the song that was separated\n')],
];

describe('"Separate again" of an archived song damaged after its job ran', () => {
  it.each(DAMAGES)(
    'refuses it (%s), naming the job, the file and both hashes; nothing is queued',
    async (what, damage) => {
      const id = `job_damaged_${DAMAGES.findIndex(([w]) => w === what)}`;
      const { dir, song, sha256, bytes } = await archivedJob(id);
      await damage(song, bytes);
      const actual = await sha256File(song);
      const answer = await separateAgain(id);
      const body = (await answer.json()) as { error: string; message: string };
      expect(answer.status, body.message).toBe(422);
      expect(body.error).toBe('SOURCE_DAMAGED');
      expect(body.message).toContain(`the archived bundle of job ${id} (${dir}) is damaged`);
      expect(body.message).toContain(
        `its song.m4a has sha256 ${actual}, but its job.json declares ${sha256}`,
      );
      expect(body.message).toContain('add the song again');
      // Nothing queued (no bundle, no .tmp left); the archive is kept as it is.
      expect(await queuedFor(id)).toEqual([]);
      expect(await sha256File(song)).toBe(actual);
      expect((await readdir(dir)).sort()).toEqual(['job.json', 'song.m4a']);
      // Asked again, the same answer (not a job queued the second time).
      const again = await separateAgain(id);
      expect(again.status).toBe(422);
      expect(await queuedFor(id)).toEqual([]);
    },
  );

  it('queues an archived song that is as its job.json declares, with the same hash', async () => {
    const { sha256, bytes } = await archivedJob('job_intact');
    const answer = await separateAgain('job_intact');
    expect(answer.status).toBe(202);
    const { job_id } = (await answer.json()) as { job_id: string };
    const queued = JSON.parse(
      await readFile(join(served.root, 'queues', 'other', `job_${job_id}`, 'job.json'), 'utf8'),
    ) as { files: { path: string; sha256: string; bytes: number }[] };
    expect(queued.files).toEqual([{ path: 'song.m4a', sha256, bytes }]);
  });
});
