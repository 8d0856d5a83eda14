import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROCESS_COUNTING_ENGINE,
  engineCalls,
  imk,
  jobDetail,
  makeRoot,
  makeSong,
  makeVideo,
  publishV1,
  readManifest,
  removeRoot,
} from './helpers.ts';

// The video half of a mode "both" pair publishes its video only (both-pair-nas.test.ts delivers a pair).
// With both video files turned off in config, it has nothing to publish: said in its manifest, not silent.
// Nothing is made of its sound then: it is not separated (before, it was, for nothing).
let root: string;
beforeAll(async () => {
  root = await makeRoot((dir) => ({
    pollMs: 100,
    // One job at a time: the half has succeeded when the job alone looks for a duplicate of it.
    concurrency: 1,
    retry: { maxAttempts: 1 },
    video: { source: false, instrumental: false },
    engine: { name: 'counting', module: PROCESS_COUNTING_ENGINE, params: { counterFile: engineCalls(dir) } },
  }));
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await makeVideo(join(root, 'clip.mp4'), join(root, 'song.m4a'), 2);
  const job = { source_type: 'youtube', artist: 'A', title: 'Clip', video_path: 'clip.mp4' };
  await publishV1(
    root,
    'youtube_video',
    { ...job, job_id: 'yt_clip_video', paired_audio_job: 'yt_clip_audio' },
    { 'clip.mp4': join(root, 'clip.mp4') },
  );
  // The same video fetched alone (mode video): its job publishes the variants, as before, and is no duplicate
  // of the half (same input, names and options): the half's outputs lack them.
  await publishV1(
    root,
    'youtube_video',
    { ...job, job_id: 'yt_alone_video' },
    { 'clip.mp4': join(root, 'clip.mp4') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

describe('the video half of a mode both pair, with no video file to make; the same video fetched alone', () => {
  it('the half separates nothing, publishes nothing and its manifest says why; the job alone is no duplicate of it and publishes the variants', async () => {
    const run = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(run.stdout) || '{}'), String(run.all)).toMatchObject({ succeeded: 2 });
    const half = await readManifest(root, 'yt_clip_video');
    expect(half.artifacts).toEqual([]);
    expect(half.stems_preserved).toBe(false);
    expect(half.warnings).toContain(
      "the video job of a song fetched in mode both publishes its video only, and video.source and video.instrumental are both false in config/instrumental-maker.yaml: nothing is published for it (the audio job yt_clip_audio publishes the song's variants and stems)",
    );
    // Not separated: no separate stage in the ledger, and its manifest says no stems were made and no variant.
    const stages = (id: string) => jobDetail(root, id).then((d) => d.stages.map((row) => row.stage));
    expect(await stages('yt_clip_video')).not.toContain('separate');
    expect(half.stems_generated).toBe(false);
    expect(half.options?.variants).toEqual([]);
    const alone = await readManifest(root, 'yt_alone_video');
    expect(alone.artifacts.filter((a) => a.kind === 'audio').length).toBeGreaterThan(0);
    // The job alone (run after the half) found no stems of the half in the cache: the engine ran for it.
    const separate = (await jobDetail(root, 'yt_alone_video')).stages.find((row) => row.stage === 'separate');
    expect(separate?.outcome).toBe('ok');
  }, 180_000);
});
