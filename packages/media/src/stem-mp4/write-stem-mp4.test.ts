import { execa } from 'execa';
import { copyFile, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../probe.ts';
import { ffmpeg, makeTempDir, pngFile, sineFile } from '../../test/helpers.ts';
import { readStemManifest, writeStemMp4 } from './write-stem-mp4.ts';
import { putUdtaBox, topLevelBoxes } from './udta-box.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
beforeAll(async () => ({ dir, cleanup } = await makeTempDir()));
afterAll(() => cleanup());

/** md5 of the decoded audio of every stream: what a player hears, independent of the container bytes. */
async function audioMd5(file: string, streams: number): Promise<string[]> {
  const sums: string[] = [];
  for (let i = 0; i < streams; i++) {
    const { stdout } = await execa('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-i',
      file,
      '-map',
      `0:a:${i}`,
      '-f',
      'md5',
      '-',
    ]);
    sums.push(stdout.trim());
  }
  return sums;
}

describe('writeStemMp4', () => {
  it('writes 5 AAC streams in NI order with the stem manifest, tags and cover', async () => {
    const names = ['mixture', 'drums', 'bass', 'other', 'vocals'] as const;
    const frequencies = [220, 330, 440, 550, 660];
    const streams = {} as Record<(typeof names)[number], string>;
    for (const [i, name] of names.entries()) {
      streams[name] = path.join(dir, `${name}.wav`);
      await sineFile(streams[name], { seconds: 2, frequency: frequencies[i] });
    }
    const cover = path.join(dir, 'cover.png');
    await pngFile(cover);
    const output = path.join(dir, 'song.stem.mp4');
    await writeStemMp4({ output, streams, tags: { artist: 'A', title: 'T' }, cover });

    const info = await probeMedia(output);
    const audio = info.streams.filter((s) => s.type === 'audio');
    expect(audio.map((s) => s.codec)).toEqual(['aac', 'aac', 'aac', 'aac', 'aac']);
    expect(audio.map((s) => s.tags.handler_name)).toEqual(['Mixture', 'Drums', 'Bass', 'Other', 'Vocals']);
    expect(info.has_cover).toBe(true);
    expect(info.tags).toMatchObject({ artist: 'A', title: 'T' });

    // Streams really are in order: each stream's dominant frequency matches its input.
    for (const [i, f] of frequencies.entries()) {
      const { stdout } = await execa(
        'ffmpeg',
        ['-nostdin', '-v', 'error', '-i', output, '-map', `0:a:${i}`, '-ac', '1', '-f', 'f32le', '-'],
        { encoding: 'buffer' },
      );
      const samples = new Float32Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 4));
      let crossings = 0;
      for (let k = 44100; k < 88200; k++) if (samples[k - 1]! < 0 !== samples[k]! < 0) crossings++;
      expect(Math.abs(crossings / 2 - f)).toBeLessThanOrEqual(f * 0.02);
    }

    const manifest = await readStemManifest(output);
    expect(manifest?.version).toBe(1);
    expect(manifest?.stems.map((s) => s.name)).toEqual(['Drums', 'Bass', 'Other', 'Vocals']);
    expect(manifest?.mastering_dsp.limiter.enabled).toBe(false);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('keeps every sample playable when moov sits before mdat (chunk offsets moved)', async () => {
    const input = path.join(dir, 'in.wav');
    await sineFile(input, { seconds: 1 });
    const front = path.join(dir, 'front.mp4');
    await ffmpeg(
      '-i',
      input,
      '-i',
      input,
      '-map',
      '0:a',
      '-map',
      '1:a',
      '-c:a',
      'aac',
      '-movflags',
      '+faststart',
      front,
    );
    const handle = await open(front, 'r');
    const order = (await topLevelBoxes(handle, (await handle.stat()).size, front)).map((b) => b.type);
    await handle.close();
    expect(order.indexOf('moov')).toBeLessThan(order.indexOf('mdat'));
    const before = await audioMd5(front, 2);
    const edited = path.join(dir, 'front-edited.mp4');
    await copyFile(front, edited);
    await putUdtaBox(
      edited,
      'stem',
      Buffer.from(JSON.stringify({ version: 1, stems: [], mastering_dsp: {} })),
    );
    expect(await audioMd5(edited, 2)).toEqual(before);
    expect((await readStemManifest(edited))?.version).toBe(1);
    // Replacing the box with a longer one (and again shorter) keeps it playable too.
    await putUdtaBox(
      edited,
      'stem',
      Buffer.from(
        JSON.stringify({
          version: 1,
          stems: [{ name: 'x'.repeat(500), color: '#000000' }],
          mastering_dsp: {},
        }),
      ),
    );
    await putUdtaBox(edited, 'stem', Buffer.from('{"version":2,"stems":[],"mastering_dsp":{}}'));
    expect(await audioMd5(edited, 2)).toEqual(before);
    expect((await readStemManifest(edited))?.version).toBe(2);
  });
});
