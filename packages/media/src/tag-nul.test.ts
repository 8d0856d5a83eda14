import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAudio } from './encode.ts';
import type { AudioFormat } from './encode.ts';
import { probeMedia } from './probe.ts';
import { writeStemMp4 } from './stem-mp4/write-stem-mp4.ts';
import { makeTempDir, sineFile } from '../test/helpers.ts';

// A tag holding a NUL (job.json's "title": "Side\u0000A", valid JSON) went into ffmpeg's arguments as it
// was: Node refuses to spawn with one ("Arguments cannot contain null bytes"), so every variant and the
// stem file failed at the end of the job, after the whole separation, and the job was retried to fail the
// same way each time. Every file that carries tags is written through metadataArgs; the NUL is dropped.
let dir = '';
let cleanup: () => Promise<void> = async () => {};
let input = '';
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  input = path.join(dir, 'song.wav');
  await sineFile(input, { seconds: 1, codec: ['-c:a', 'pcm_f32le'] });
});
afterAll(() => cleanup());

const tags = { artist: 'The\u0000Band', album: 'LP\u0000', title: 'Side\u0000A' };
const written = { artist: 'TheBand', album: 'LP', title: 'SideA' };

describe('tags holding a NUL', () => {
  it.each<AudioFormat>(['m4a', 'mp3', 'flac', 'wav'])('are written without it in %s', async (format) => {
    const output = path.join(dir, `out.${format}`);
    await encodeAudio({ input, output, format, tags });
    expect((await probeMedia(output)).tags).toMatchObject(written);
  });

  it('are written without it in a .stem.mp4', async () => {
    const output = path.join(dir, 'song.stem.mp4');
    const streams = { mixture: input, drums: input, bass: input, other: input, vocals: input };
    await writeStemMp4({ output, streams, tags });
    expect((await probeMedia(output)).tags).toMatchObject(written);
  }, 60_000);
});
