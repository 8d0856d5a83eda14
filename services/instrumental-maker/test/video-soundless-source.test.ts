import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

// A video job whose picture came without sound and whose song came as its own audio file (a producer that
// downloads the two streams apart): the whole song was separated and its instrumental video made, then the
// job failed describing the source video copy: "media file …/outputs/.<id>.partial-…/files/video/… (source)
// .mp4 has no audio stream; give an audio or video file with sound [MEDIA_NO_AUDIO]", not retried. Now the
// job is published, the source video listed with no audio codec and no loudness.
let root: string;
beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, retry: { maxAttempts: 1 }, variants: ['instrumental'] });
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await execa('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=d=2:s=160x120', '-c:v', 'libx264'],
    join(root, 'picture.mp4'),
  ]);
  await publishV1(
    root,
    'youtube_video',
    {
      job_id: 'picture_only',
      source_type: 'youtube',
      artist: 'A',
      title: 'Clip',
      audio_path: 'song.m4a',
      video_path: 'picture.mp4',
    },
    { 'song.m4a': join(root, 'song.m4a'), 'picture.mp4': join(root, 'picture.mp4') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

describe('a video job whose video has no sound of its own', () => {
  it('publishes the source video as it came and the video with the instrumental', async () => {
    const run = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(run.stdout) || '{}'), String(run.all)).toMatchObject({ succeeded: 1 });
    const manifest = await readManifest(root, 'picture_only');
    const video = Object.fromEntries(
      manifest.artifacts.filter((a) => a.kind === 'video').map((a) => [a.variant, a]),
    );
    expect(video.source).toMatchObject({
      codec: 'none',
      loudness: { integrated_lufs: null, true_peak_dbtp: null },
    });
    expect(video.source!.duration_sec).toBeCloseTo(2, 1);
    expect(video.instrumental).toMatchObject({ codec: 'aac', channels: 2 });
  }, 120_000);
});
