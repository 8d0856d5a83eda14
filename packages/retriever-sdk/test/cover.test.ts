import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTool } from '@imk/tools';
import { imageAsJpeg } from '../src/cover.ts';

// A thumbnail comes from the internet: ffmpeg reads it as an untrusted input (file protocol, image demuxers
// only), so a "picture" that is really a playlist cannot make ffmpeg read another file or a URL.
describe('imageAsJpeg reads a thumbnail as untrusted input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-cover-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('converts a real PNG thumbnail to JPEG', async () => {
    const png = join(dir, 'thumb.png');
    const ffmpeg = await resolveTool('ffmpeg');
    await execa(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=32x32', '-frames:v', '1', png]);
    const jpeg = await imageAsJpeg(png, join(dir, 'thumb.jpg'));
    const bytes = await readFile(jpeg);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('refuses a playlist dressed as a thumbnail, naming the file, and reads nothing it lists', async () => {
    const secret = join(dir, 'secret.ts');
    const ffmpeg = await resolveTool('ffmpeg');
    await execa(ffmpeg, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=blue:s=32x32',
      '-t',
      '2',
      '-c:v',
      'mpeg2video',
      '-f',
      'mpegts',
      secret,
    ]);
    const fake = join(dir, 'thumb.webp');
    await writeFile(fake, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${secret}\n#EXT-X-ENDLIST\n`);
    const target = join(dir, 'fake.jpg');
    await expect(imageAsJpeg(fake, target)).rejects.toThrow(/thumb\.webp/);
    await expect(readFile(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
