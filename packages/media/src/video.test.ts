import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { replaceVideoAudio } from './video.ts';
import { probeMedia } from './probe.ts';
import { readAudio } from './decode.ts';
import { ffmpeg, makeTempDir, pngFile, sineFile } from '../test/helpers.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(() => cleanup());

/** md5 of the video packets as stored: equal only if the picture was copied, not re-encoded. */
async function videoPacketsMd5(file: string): Promise<string> {
  const { stdout } = await execa('ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    '-i',
    file,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-f',
    'md5',
    '-',
  ]);
  return stdout.trim();
}

describe('replaceVideoAudio', () => {
  it('copies the picture bit for bit and puts the new audio under it', async () => {
    const oldAudio = path.join(dir, 'old.wav');
    await sineFile(oldAudio, { seconds: 3, frequency: 440 });
    const video = path.join(dir, 'clip.mp4');
    await ffmpeg(
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=320x240:d=3:r=25',
      '-i',
      oldAudio,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-b:v',
      '300k',
      '-c:a',
      'aac',
      '-metadata',
      'title=Clip',
      video,
    );
    const newAudio = path.join(dir, 'instrumental.wav');
    await sineFile(newAudio, { seconds: 3, frequency: 880 });
    const output = path.join(dir, 'clip-instrumental.mp4');

    await replaceVideoAudio({ video, audio: newAudio, output });

    const [before, after] = [await probeMedia(video), await probeMedia(output)];
    expect(after.video).toMatchObject({
      codec: 'h264',
      width: 320,
      height: 240,
      bit_rate: before.video?.bit_rate,
    });
    expect(await videoPacketsMd5(output)).toBe(await videoPacketsMd5(video));
    expect(after.streams.filter((s) => s.type === 'audio')).toHaveLength(1);
    expect(after.audio?.codec).toBe('aac');
    expect(after.tags.title).toBe('Clip');
    // The sound is the new one: 880 Hz, not 440 Hz.
    const { channels } = await readAudio(output);
    const mid = channels[0]!.subarray(44100, 88200);
    let crossings = 0;
    for (let i = 1; i < mid.length; i++) if (mid[i - 1]! < 0 !== mid[i]! < 0) crossings++;
    expect(Math.abs(crossings / 2 - 880)).toBeLessThan(10);
  });

  it('refuses a "video" that has no picture', async () => {
    const audioOnly = path.join(dir, 'audio-only.m4a');
    await sineFile(audioOnly, { seconds: 1, codec: ['-c:a', 'aac'] });
    const cover = path.join(dir, 'c.png');
    await pngFile(cover);
    const error = await replaceVideoAudio({
      video: audioOnly,
      audio: audioOnly,
      output: path.join(dir, 'x.mp4'),
    }).catch((e: unknown) => e);
    expect(isImkError(error, 'MEDIA_NO_VIDEO')).toBe(true);
    expect((error as Error).message).toContain(audioOnly);
  });
});
