import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBundle } from '@imk/protocol';
import { createBundle, makeJobId } from '../src/index.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-sdk-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('createBundle', () => {
  it('publishes a bundle that readBundle accepts, with tags, files and hashes', async () => {
    const audio = join(root, 'song.MP3');
    await writeFile(audio, 'not really audio, but bytes');
    const published = await createBundle({ root, jobId: 'demo_1', sourceType: 'custom', producer: 'test' })
      .setTags({ artist: 'Artist', title: ' Title ', album: '' })
      .addAudio(audio)
      .addData('notes.txt', 'hello')
      .set('options', { variants: ['instrumental'] })
      .publish();
    expect(published.dir).toBe(join(root, 'queues', 'other', 'job_demo_1'));
    const result = await readBundle(published.dir);
    expect(result.ok).toBe(true);
    const job = JSON.parse(await readFile(join(published.dir, 'job.json'), 'utf8')) as {
      album?: string;
      files: { path: string }[];
      producer: { name: string };
    };
    expect(job).toMatchObject({
      job_id: 'demo_1',
      artist: 'Artist',
      title: 'Title',
      audio_path: 'audio.mp3',
    });
    expect(job.album).toBeUndefined();
    expect(job.files.map((f) => f.path).sort()).toEqual(['audio.mp3', 'notes.txt']);
    expect(job.producer.name).toBe('test');
    // copied, not moved, by default
    expect(await readFile(audio, 'utf8')).toContain('bytes');
  });

  it('refuses a second bundle with the same id and leaves the queue as it was', async () => {
    const make = () =>
      createBundle({ root, jobId: 'same', queue: 'youtube_audio' })
        .addData('a.txt', 'x')
        .set('audio_path', 'a.txt');
    await make().publish();
    await expect(make().publish()).rejects.toMatchObject({ code: 'JOB_EXISTS' });
    expect(await readdir(join(root, 'queues', 'youtube_audio'))).toEqual(['job_same']);
  });

  it('rejects a job without audio or video before touching the queue', async () => {
    await expect(createBundle({ root, jobId: 'empty' }).publish()).rejects.toMatchObject({
      code: 'INVALID_JOB',
    });
  });

  it('rejects unsafe job ids up front and makes safe ones from any text', () => {
    expect(() => createBundle({ root, jobId: '../evil' })).toThrow(/not allowed/);
    expect(makeJobId('yt', 'dQw4w9WgXcQ', 'audio')).toBe('yt_dQw4w9WgXcQ_audio');
    const a = makeJobId('local', 'AC/DC - Back in Black');
    const b = makeJobId('local', 'AC_DC - Back in Black');
    expect(a).toMatch(/^local_AC_DC_-_Back_in_Black_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });
});
