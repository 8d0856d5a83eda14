import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUndecodableWav } from '@imk/media/testing';
import { imk, jobDetail, makeRoot, makeSong, publishLegacy, removeRoot } from './helpers.ts';

let root: string;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], retry: { maxAttempts: 1 } });
  const media = join(root, 'media');
  await execa('mkdir', [media]);
  // ffprobe cannot read it: an m4a's ftyp box and then filler, no moov.
  await writeFile(
    join(media, 'corrupt.m4a'),
    Buffer.concat([Buffer.from('000000186674797069736f6d', 'hex'), Buffer.alloc(50_000, 0x5a)]),
  );
  await writeUndecodableWav(join(media, 'odd.wav')); // ffprobe reads it, ffmpeg cannot decode it
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5:duration=2'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', join(media, 'silent-film.mp4')],
  ]);
  const job = (id: string, key: string, name: string) => ({
    job_id: id,
    source_type: 'custom',
    title: id,
    [key]: name,
  });
  await publishLegacy(root, 'other', job('corrupt', 'audio_path', 'My Song.m4a'), {
    'My Song.m4a': join(media, 'corrupt.m4a'),
  });
  await publishLegacy(root, 'other', job('odd', 'audio_path', 'odd.wav'), {
    'odd.wav': join(media, 'odd.wav'),
  });
  await publishLegacy(root, 'other', job('film', 'video_path', 'video.mp4'), {
    'video.mp4': join(media, 'silent-film.mp4'),
  });
  // Artist and title known: the error says them too.
  await publishLegacy(
    root,
    'other',
    { job_id: 'named', source_type: 'custom', artist: 'Björk', title: 'Jóga 🎵', audio_path: 'x.m4a' },
    { 'x.m4a': join(media, 'corrupt.m4a') },
  );
  // An album bundle whose second song is not audio: the error says which song.
  await makeSong(join(media, 'first.m4a'), 2, 1);
  await publishLegacy(
    root,
    'other',
    {
      job_id: 'album',
      source_type: 'deezer',
      artist: 'A',
      title: 'Album',
      audio_files: ['01 First.m4a', '02 Second.m4a'],
    },
    { '01 First.m4a': join(media, 'first.m4a'), '02 Second.m4a': join(media, 'corrupt.m4a') },
  );
  // A bundle the queue rejects (an option out of range): its rejection names the job too.
  await publishLegacy(
    root,
    'other',
    {
      job_id: 'refused',
      source_type: 'custom',
      artist: 'Nina Simone',
      title: 'Sinnerman',
      audio_path: 'x.m4a',
      options: { priority: 1e308 },
    },
    { 'x.m4a': join(media, 'first.m4a') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

describe('the error file of a job whose input cannot be used', () => {
  it('names the file as it is in the archived bundle beside it, not the claim folder that is gone', async () => {
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ failed: 5 });
    for (const [id, file, code] of [
      ['corrupt', 'My Song.m4a', 'MEDIA_UNREADABLE'],
      ['odd', 'odd.wav', 'MEDIA_DECODE_FAILED'],
      ['film', 'video.mp4', 'MEDIA_NO_AUDIO'],
    ] as const) {
      const failed = join(root, 'queues', 'other', 'failed', `job_${id}`);
      const error = JSON.parse(await readFile(join(failed, 'imk-error.json'), 'utf8')) as { message: string };
      expect(error.message).toContain(file);
      expect(error.message).toContain(`[${code}]`);
      // The claimed folder (claimed/job_<id>@<token>/) no longer exists once the job is archived.
      expect(error.message).not.toContain('claimed');
      expect(error.message).not.toContain(root);
      // The file named is there, beside the error file.
      await expect(readFile(join(failed, file))).resolves.toBeDefined();
      expect((await jobDetail(root, id)).errors[0]!.message).toBe(error.message);
    }
  }, 180_000);

  it('names the job (its id, artist and title) in the error file and the ledger, not only the file', async () => {
    const failed = (id: string) => join(root, 'queues', 'other', 'failed', `job_${id}`, 'imk-error.json');
    const read = async (id: string) =>
      (JSON.parse(await readFile(failed(id), 'utf8')) as { message: string }).message;
    expect(await read('corrupt')).toMatch(/^job corrupt \("corrupt"\): .*My Song\.m4a/);
    expect(await read('named')).toMatch(/^job named \("Björk - Jóga 🎵"\): .*x\.m4a/);
    // The second song of the album: which song, under which id, and its file.
    const album = await read('album');
    expect(album).toMatch(/^job album, song 2 of 2 \(album-2, "A - 02 Second"\): .*02 Second\.m4a/);
    expect((await jobDetail(root, 'album')).errors[0]!.message).toBe(album);
    // That song's own row in the ledger is failed too, not left running.
    expect((await jobDetail(root, 'album-2')).job.state).toBe('failed');
  });

  it('names a rejected job the same way, in imk-rejection.json and the ledger (imk job, the dashboard)', async () => {
    const file = join(root, 'queues', 'other', 'rejected', 'job_refused', 'imk-rejection.json');
    const rejection = JSON.parse(await readFile(file, 'utf8')) as { reason: string };
    expect(rejection.reason).toBe(
      'job refused ("Nina Simone - Sinnerman"): job.json: options.priority: must be between -100 and 100',
    );
    const detail = await jobDetail(root, 'refused');
    expect(detail.job.state).toBe('rejected');
    expect(detail.errors[0]!.message).toBe(rejection.reason);
  });
});
