import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, publishV1, readManifest, removeRoot } from './helpers.ts';

// A WAV cut short (a copy interrupted at 40 %) probes and decodes as a shorter, whole-looking song:
// ffprobe gives a WAV's length from what the file holds, not from its header. The job succeeded with no
// warning at all, the instrumental silently 40 % of the song. Its header declares the whole length (the
// data chunk's size), and the manifest now says the input may be cut short, as it does of an mp3 or flac
// cut short: for every sample format a WAV may have. A whole WAV, one streamed through a pipe (its sizes
// left unsaid) and one with chunks after its data get no such warning.
let root: string;

const FORMATS = {
  s16: ['-c:a', 'pcm_s16le'],
  u8: ['-c:a', 'pcm_u8'],
  f64: ['-c:a', 'pcm_f64le'],
  // WAVE_FORMAT_EXTENSIBLE with a bext chunk before the data.
  s24ext: ['-c:a', 'pcm_s24le', '-write_bext', '1', '-rf64', 'never'],
} as const;

const ffmpeg = (args: string[]) =>
  execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=6', ...args]);

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], output: { format: 'flac' } });
  const job = (id: string, file: string) =>
    publishV1(
      root,
      'other',
      { job_id: id, source_type: 'local', artist: 'A', title: id, audio_path: 'song.wav' },
      { 'song.wav': file },
    );
  for (const [name, codec] of Object.entries(FORMATS)) {
    const whole = join(root, `${name}.wav`);
    await ffmpeg(['-ac', '2', ...codec, whole]);
    const bytes = await readFile(whole);
    const cut = join(root, `${name}-cut.wav`);
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    await job(`cut_${name}`, cut);
    await job(`whole_${name}`, whole);
  }
  // Streamed through a pipe: RIFF and data sizes 0xFFFFFFFF, the data running to the end of the file.
  const streamed = await execa(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=6', '-ac', '2', '-f', 'wav', '-'],
    { encoding: 'buffer' },
  );
  await writeFile(join(root, 'streamed.wav'), streamed.stdout);
  await job('streamed', join(root, 'streamed.wav'));
  // A LIST chunk after the data (as some editors write tags).
  const tagged = join(root, 'tagged.wav');
  const plain = await readFile(join(root, 's16.wav'));
  const info = Buffer.from('INFOINAM\x04\x00\x00\x00Song', 'latin1');
  const list = Buffer.concat([Buffer.from('LIST'), Buffer.alloc(4), info]);
  list.writeUInt32LE(info.length, 4);
  const withList = Buffer.concat([plain, list]);
  withList.writeUInt32LE(withList.length - 8, 4);
  await writeFile(tagged, withList);
  await job('tagged', tagged);
  const result = await imk(['run', '--once', '--root', root]);
  expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({
    succeeded: 2 * Object.keys(FORMATS).length + 2,
  });
}, 300_000);
afterAll(() => removeRoot(root));

describe('a WAV cut short', () => {
  it.each(Object.keys(FORMATS))(
    '%s: is made, and its manifest says the input may be cut short, naming it',
    async (name) => {
      const manifest = await readManifest(root, `cut_${name}`);
      expect(manifest.warnings[0], JSON.stringify(manifest.warnings)).toMatch(
        /^the input song\.wav decodes to 2\.\d+ s of the 6 s its header declares: it may be cut short or damaged \(an interrupted or corrupted download or copy(; ffmpeg: .*)?\); the files last 2\.\d+ s$/,
      );
    },
  );

  it('a whole one, a streamed one and one with a chunk after its data have no such warning', async () => {
    for (const id of [...Object.keys(FORMATS).map((name) => `whole_${name}`), 'streamed', 'tagged']) {
      const manifest = await readManifest(root, id);
      expect(manifest.warnings, id).toEqual([]);
      expect(manifest.input.duration_sec, id).toBeCloseTo(6, 2);
    }
  });
});
