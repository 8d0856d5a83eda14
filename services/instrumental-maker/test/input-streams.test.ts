import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, publishV1, readManifest, removeRoot } from './helpers.ts';

// The worker separates the first audio stream of the input. The manifest's input facts are that stream's,
// not the container's: a file's length is its longest stream, so an m4a with a second, longer soundtrack
// (a commentary, another mix) or a video whose picture outlasts its sound was recorded as longer than the
// song separated, and every variant was said to be "shorter than the input", which it was not.
let root: string;
const ffmpeg = (args: string[]) => execa('ffmpeg', ['-v', 'error', '-y', ...args]);

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], retry: { maxAttempts: 1 } });
  const twoTracks = join(root, 'two.m4a');
  // First audio stream: 2 s stereo at 44.1 kHz; second: 4 s mono at 48 kHz.
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:duration=2', '-f', 'lavfi'],
    ...['-i', 'sine=frequency=880:duration=4:sample_rate=48000', '-map', '0', '-map', '1'],
    ...['-ac:a:0', '2', '-ac:a:1', '1', '-c:a', 'aac', twoTracks],
  ]);
  const clip = join(root, 'clip.mp4');
  // A picture of 4 s over 2 s of sound.
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15:duration=4', '-f', 'lavfi'],
    ...['-i', 'sine=frequency=330:duration=2', '-ac', '2', '-c:v', 'libx264', '-preset', 'ultrafast'],
    ...['-pix_fmt', 'yuv420p', '-c:a', 'aac', clip],
  ]);
  await publishV1(
    root,
    'other',
    { job_id: 'two', source_type: 'custom', artist: 'A', title: 'Two', audio_path: 'two.m4a' },
    { 'two.m4a': twoTracks },
  );
  await publishV1(
    root,
    'youtube_video',
    { job_id: 'clip', source_type: 'youtube', artist: 'A', title: 'Clip', video_path: 'clip.mp4' },
    { 'clip.mp4': clip },
  );
}, 60_000);
afterAll(() => removeRoot(root));

describe("the manifest's input facts", () => {
  it('are of the audio stream separated, not of the longest stream in the file', async () => {
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 2 });
    for (const id of ['two', 'clip']) {
      const manifest = await readManifest(root, id);
      expect(manifest.input.duration_sec, id).toBeCloseTo(2, 1);
      expect(manifest.input, id).toMatchObject({ sample_rate: 44100, channels: 2 });
      const audio = manifest.artifacts.filter((a) => a.kind === 'audio');
      expect(audio.length, id).toBeGreaterThan(0);
      for (const artifact of audio) expect(artifact.duration_sec, id).toBeCloseTo(2, 1);
      // No "files/audio/… lasts 2 s but the input 4 s", no "it may be cut short".
      expect(manifest.warnings, id).toEqual([]);
    }
  }, 180_000);
});
