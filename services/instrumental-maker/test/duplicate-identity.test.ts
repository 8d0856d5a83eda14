import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  makeCover,
  makeRoot,
  makeSong,
  makeVideo,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// With `duplicates: skip`, a job whose audio and options matched an earlier job's got that job's files
// linked as they were: a song published again under another title (a retriever's corrected tags, a
// different release of the same master) got files named and tagged after the earlier title ("A - One.wav"
// in the outputs of "A - Two"); an audio-only job of a file an earlier video job had used got that job's
// video files; another cover was ignored. What the files carry of the song is now part of the output key:
// those jobs are made again (stems from the cache: the engine is not called), a true duplicate still links.
let root: string;
const media = (name: string) => join(root, 'media', name);
const calls = async () => (await readFile(engineCalls(root), 'utf8')).trim().split('\n').length;
const paths = async (id: string) => (await readManifest(root, id)).artifacts.map((a) => a.path).sort();
const song = { source_type: 'local', artist: 'A', audio_path: 'song.m4a' };

async function runOnce(): Promise<Record<string, unknown>> {
  const result = await imk(['run', '--once', '--root', root]);
  const summary = JSON.parse(String(result.stdout || '{}')) as Record<string, unknown>;
  expect(summary, String(result.all)).toMatchObject({ failed: 0 });
  return summary;
}

beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    variants: ['instrumental'],
    output: { format: 'wav' },
    engine: { name: 'counting', module: PROCESS_COUNTING_ENGINE, params: { counterFile: engineCalls(dir) } },
  }));
  await mkdir(join(root, 'media'), { recursive: true });
  await makeSong(media('song.m4a'), 2, 2);
  await makeVideo(media('clip.mp4'), media('song.m4a'), 2);
  await makeCover(media('cover.jpg'));
  await publishV1(
    root,
    'other',
    { ...song, job_id: 'first', title: 'One' },
    { 'song.m4a': media('song.m4a') },
  );
  await runOnce();
}, 120_000);
afterAll(() => removeRoot(root));

describe('a job with the audio and options of an earlier job', () => {
  it('under the same names is still a duplicate: the files are linked', async () => {
    await publishV1(
      root,
      'other',
      { ...song, job_id: 'again', title: 'One' },
      { 'song.m4a': media('song.m4a') },
    );
    await runOnce();
    expect((await readManifest(root, 'again')).duplicate_of).toBe('first');
    expect(await paths('again')).toEqual(['files/audio/A - One.wav']);
  }, 120_000);

  it('under another title is made with its own names, from the cached stems', async () => {
    await publishV1(
      root,
      'other',
      { ...song, job_id: 'retitled', title: 'Two' },
      { 'song.m4a': media('song.m4a') },
    );
    await runOnce();
    const manifest = await readManifest(root, 'retitled');
    expect(manifest.duplicate_of).toBeUndefined();
    expect(await paths('retitled')).toEqual(['files/audio/A - Two.wav']);
    expect(await calls()).toBe(1);
  }, 120_000);

  it('with a cover the earlier job did not have is made with it', async () => {
    await publishV1(
      root,
      'other',
      { ...song, job_id: 'covered', title: 'One', cover_path: 'cover.jpg' },
      { 'song.m4a': media('song.m4a'), 'cover.jpg': media('cover.jpg') },
    );
    await runOnce();
    expect((await readManifest(root, 'covered')).duplicate_of).toBeUndefined();
  }, 120_000);

  it("without the earlier job's video gets no video files", async () => {
    const video = { source_type: 'local', artist: 'A', title: 'Clip' };
    await publishV1(
      root,
      'youtube_video',
      { ...video, job_id: 'clip_video', video_path: 'clip.mp4' },
      {
        'clip.mp4': media('clip.mp4'),
      },
    );
    await runOnce();
    expect((await paths('clip_video')).filter((p) => p.startsWith('files/video/'))).toHaveLength(2);
    // The same file again, as the audio of an audio job.
    await publishV1(
      root,
      'other',
      { ...video, job_id: 'clip_audio', audio_path: 'clip.mp4' },
      {
        'clip.mp4': media('clip.mp4'),
      },
    );
    await runOnce();
    expect((await readManifest(root, 'clip_audio')).duplicate_of).toBeUndefined();
    expect(await paths('clip_audio')).toEqual(['files/audio/A - Clip.wav']);
  }, 120_000);
});
