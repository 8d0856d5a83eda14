import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '@imk/media';
import { imk, makeRoot, makeSong, makeVideo, publishV1, readManifest, removeRoot } from './helpers.ts';

// A karaoke host's video job: the picture keeps its timing, so the sound under it may change key but
// never tempo (a slower song under the same picture drifts out of sync with the lyrics). The audio
// variants themselves are made at the tempo asked. Real `imk run` worker, real ffmpeg.
let root: string;
const SECONDS = 4;

async function streamSeconds(file: string): Promise<{ video: number; audio: number }> {
  const info = await probeMedia(file);
  return { video: info.video?.duration_sec ?? Number.NaN, audio: info.audio?.duration_sec ?? Number.NaN };
}

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'flac' } });
  await makeSong(join(root, 'song.m4a'), SECONDS, 2);
  await makeVideo(join(root, 'video.mp4'), join(root, 'song.m4a'), SECONDS);
}, 120_000);
afterAll(() => removeRoot(root));

describe('a video job asked for another key and tempo', () => {
  it.each([
    ['the variants', { variants: ['instrumental@-2@0.8x'] }],
    // Same song, same outputs asked: `process` so it is made, not linked to the first job's files.
    ['the job', { pitch: -2, tempo: 0.8, duplicates: 'process' }],
  ])(
    '(from %s): the video keeps its timing, the audio variant is slowed',
    async (_, options) => {
      const id = `clip_${Object.keys(options).join('_')}`;
      await publishV1(
        root,
        'youtube_video',
        {
          job_id: id,
          source_type: 'youtube',
          artist: 'Chan',
          title: 'Clip',
          video_path: 'video.mp4',
          options,
        },
        { 'video.mp4': join(root, 'video.mp4') },
      );
      const result = await imk(['run', '--once', '--root', root]);
      expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 1 });
      const manifest = await readManifest(root, id);
      const audio = manifest.artifacts.find((a) => a.kind === 'audio')!;
      expect(audio).toMatchObject({ pitch: -2, tempo: 0.8 });
      expect(audio.duration_sec).toBeCloseTo(SECONDS / 0.8, 1);

      const video = manifest.artifacts.find((a) => a.kind === 'video')!;
      const seconds = await streamSeconds(join(root, 'outputs', id, video.path));
      expect(seconds.video).toBeCloseTo(SECONDS, 1);
      expect(Math.abs(seconds.audio - seconds.video)).toBeLessThan(0.1);
      // In the key asked: the video's sound says so, and is not slowed.
      expect(video).toMatchObject({ pitch: -2 });
      expect(video.tempo).toBeUndefined();
    },
    180_000,
  );
});
