// `imk eval --dir` on a folder as users have them: songs of any rate, width and bit depth, names with
// spaces and accents, stems a few samples apart in length, and beside them the things a NAS folder holds
// (macOS's `._Song.stem.mp4`, hidden folders, a README), a damaged song, a stem file with too few streams.
// Before: the `._` file was taken for a song and its ffmpeg error ended the whole evaluation, as did any one
// unreadable song after the others had been scored (their figures lost); a 3-stream .stem.mp4 said "Stream
// map '0:a:3' matches no streams … add a trailing '?'"; a mixture.wav that was an ffconcat list made ffmpeg
// read the file it named.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { createBuiltinEngine } from '../src/engines/builtin.ts';
import { createDemucsEngine } from '../src/engines/demucs.ts';
import { evaluateEngine } from '../src/eval/evaluate.ts';
import { musdbFolderSet } from '../src/eval/folder-set.ts';
import { formatEvalTable } from '../src/eval/report.ts';
import { ffmpeg, makeTempDir } from './audio-fixtures.ts';

const STEMS = { vocals: 440, drums: 0, bass: 82, other: 330 } as const;

/** A MUSDB-layout track folder: four tones as stems and their sum as the mixture, in the given format. */
async function track(
  dir: string,
  options: { rate?: number; channels?: number; seconds?: number; codec?: string; shortOther?: boolean } = {},
): Promise<void> {
  const { rate = 44100, channels = 2, seconds = 2, codec = 'pcm_s16le' } = options;
  await mkdir(dir, { recursive: true });
  // The four stems in one ffmpeg run (one input and one output each: the same files, byte for byte, as one
  // run per stem, without three more starts of ffmpeg).
  const stems = Object.entries(STEMS);
  await ffmpeg(
    ...stems.flatMap(([stem, hz]) => {
      const length = stem === 'other' && options.shortOther === true ? seconds - 0.01 : seconds;
      const wave = hz === 0 ? `0.1*random(0)*lt(mod(t\\,0.5)\\,0.05)` : `0.2*sin(2*PI*${hz}*t)`;
      return ['-f', 'lavfi', '-i', `aevalsrc=${wave}:s=${rate}:d=${length}`];
    }),
    ...stems.flatMap(([stem], i) => [
      '-map',
      String(i),
      '-ac',
      String(channels),
      '-c:a',
      codec,
      join(dir, `${stem}.wav`),
    ]),
  );
  await ffmpeg(
    ...Object.keys(STEMS).flatMap((s) => ['-i', join(dir, `${s}.wav`)]),
    '-filter_complex',
    'amix=inputs=4:normalize=0:duration=longest',
    '-c:a',
    codec,
    join(dir, 'mixture.wav'),
  );
}

describe('imk eval --dir on a folder as users have them', () => {
  it('scores every song it can read, lists the others with the reason, and skips hidden entries', async () => {
    const { dir, cleanup } = await makeTempDir('imk-eval-folder-');
    try {
      // Songs in every format MUSDB-style folders come in.
      await track(join(dir, 'Ünïcode – mono 48k s24'), { rate: 48000, channels: 1, codec: 'pcm_s24le' });
      await track(join(dir, 'Float 22k, other shorter'), {
        rate: 22050,
        codec: 'pcm_f32le',
        shortOther: true,
      });
      await track(join(dir, 'Short'), { seconds: 0.5 });
      // Not songs: macOS metadata beside a copied file, hidden folders, notes.
      await writeFile(join(dir, '._Ünïcode – mono 48k s24.stem.mp4'), Buffer.alloc(4096, 1));
      await track(join(dir, '.hidden copy'));
      await mkdir(join(dir, '.Trash-1000'));
      await writeFile(join(dir, '.DS_Store'), 'x');
      await writeFile(join(dir, 'README.txt'), 'my MUSDB copy');
      // Songs that cannot be scored.
      await track(join(dir, 'Damaged'));
      await writeFile(join(dir, 'Damaged', 'mixture.wav'), 'not audio at all');
      await track(join(dir, 'Playlist'));
      await writeFile(join(dir, 'Playlist', 'mixture.wav'), "ffconcat version 1.0\nfile 'vocals.wav'\n");
      const stems = join(dir, 'Short');
      await ffmpeg(
        ...['mixture', 'drums', 'bass'].flatMap((s) => ['-i', join(stems, `${s}.wav`)]),
        ...['-map', '0', '-map', '1', '-map', '2', '-c:a', 'aac'],
        join(dir, 'Three streams.stem.mp4'),
      );

      const set = await musdbFolderSet(dir);
      expect(set.tracks.map((t) => t.name)).toEqual([
        'Damaged',
        'Float 22k, other shorter',
        'Playlist',
        'Short',
        'Three streams',
        'Ünïcode – mono 48k s24',
      ]);

      const report = await evaluateEngine({ engine: createBuiltinEngine(), sets: [set] });
      const scored = report.sets[0]!;
      expect(scored.tracks.map((t) => t.name)).toEqual([
        'Float 22k, other shorter',
        'Short',
        'Ünïcode – mono 48k s24',
      ]);
      for (const name of ['Float 22k, other shorter', 'Ünïcode – mono 48k s24']) {
        const song = scored.tracks.find((t) => t.name === name)!.stems;
        expect(song.vocals.engine, name).toEqual(expect.any(Number));
        expect(song.vocals.repet_sim, name).toEqual(expect.any(Number));
        expect(song.accompaniment.floor, name).toEqual(expect.any(Number));
      }
      // Shorter than one 1-s window: every figure undefined (null), and the table says what "–" means.
      const short = scored.tracks.find((t) => t.name === 'Short')!.stems;
      expect(Object.values(short).flatMap((m) => Object.values(m))).toEqual(Array(20).fill(null));

      const failed = Object.fromEntries(scored.failed.map((f) => [f.name, f]));
      expect(Object.keys(failed)).toEqual(['Damaged', 'Playlist', 'Three streams']);
      expect(failed.Damaged).toMatchObject({
        code: 'MEDIA_UNREADABLE',
        message: expect.stringContaining(`cannot read media file ${join(dir, 'Damaged', 'mixture.wav')}`),
      });
      // The ffconcat list is refused, not followed to the vocals.wav it names.
      expect(failed.Playlist).toMatchObject({
        code: 'MEDIA_REFUSED',
        message: expect.stringContaining(`${join(dir, 'Playlist', 'mixture.wav')}: it is a concat playlist`),
      });
      expect(failed['Three streams']).toMatchObject({
        code: 'EVAL_DIR_INVALID',
        message: `${join(dir, 'Three streams.stem.mp4')} has 3 audio streams; a MUSDB18 .stem.mp4 has 5 (mixture, drums, bass, other, vocals, in that order)`,
      });

      const table = formatEvalTable(report);
      expect(table).toContain(`${dir} [test] (3 of 6)`);
      expect(table).toContain(`${dir}: Damaged not scored: `);
      expect(table).toContain('–: SDR undefined');
    } finally {
      await cleanup();
    }
  }, 180_000);

  // A stem that ended early cut the whole song to its length: a track folder whose other.wav was 1 s of a
  // 2-s song was scored on its first second, with nothing said. Now that song is listed as not scored,
  // naming the file and both lengths; a few samples apart is still cut (the 10-ms case above).
  it('lists a song one of whose files ends early as not scored, naming the file (folder and .stem.mp4)', async () => {
    const { dir, cleanup } = await makeTempDir('imk-eval-short-stem-');
    try {
      const folder = join(dir, 'Other cut short');
      await track(folder);
      await ffmpeg(
        '-i',
        join(folder, 'other.wav'),
        '-t',
        '1',
        '-c:a',
        'pcm_s16le',
        join(dir, 'other-1s.wav'),
      );
      await ffmpeg('-i', join(dir, 'other-1s.wav'), '-c', 'copy', join(folder, 'other.wav'));
      // MUSDB18's stream order: mixture, drums, bass, other, vocals; the vocals stream cut to 1 s.
      const full = join(dir, 'full');
      await track(full);
      await ffmpeg(
        ...['mixture', 'drums', 'bass', 'other'].flatMap((s) => ['-i', join(full, `${s}.wav`)]),
        ...['-t', '1', '-i', join(full, 'vocals.wav')],
        ...[0, 1, 2, 3, 4].flatMap((n) => ['-map', String(n)]),
        ...['-c:a', 'aac'],
        join(dir, 'Vocals cut short.stem.mp4'),
      );
      const set = await musdbFolderSet(dir);
      const report = await evaluateEngine({ engine: createBuiltinEngine(), sets: [set] });
      const scored = report.sets[0]!;
      expect(scored.tracks.map((t) => t.name)).toEqual(['full']);
      const failed = Object.fromEntries(scored.failed.map((f) => [f.name, f]));
      expect(failed['Other cut short']).toMatchObject({
        code: 'STEM_LENGTHS_DIFFER',
        message: expect.stringContaining(
          `${join(folder, 'other.wav')} (1.00 s) is shorter than ${join(folder, 'mixture.wav')} (2.00 s)`,
        ),
      });
      expect(failed['Vocals cut short']).toMatchObject({
        code: 'STEM_LENGTHS_DIFFER',
        message: expect.stringMatching(
          /^\S+Vocals cut short\.stem\.mp4: its stream 5 \(vocals\) \(1\.0\d s\) is shorter/,
        ),
      });
    } finally {
      await cleanup();
    }
  }, 180_000);

  it('says which folder to give when --dir names one song (its folder, or its .stem.mp4), or the folder of the splits', async () => {
    const { dir, cleanup } = await makeTempDir('imk-eval-folder-');
    try {
      const song = join(dir, 'My Song');
      await track(song, { seconds: 1 });
      await expect(musdbFolderSet(song)).rejects.toThrow(
        `--dir ${song} is a track folder itself (it holds mixture.wav); give the folder that holds the track folders: --dir ${dir}`,
      );
      const stem = join(dir, 'Other.stem.mp4');
      await writeFile(stem, 'x');
      await expect(musdbFolderSet(stem)).rejects.toThrow(
        `--dir ${stem}: not a folder; give the folder that holds it: --dir ${dir}`,
      );
      await expect(musdbFolderSet(join(dir, 'absent'))).rejects.toThrow(/absent: not a folder$/);

      // MUSDB18 as it unpacks: musdb18/{train,test}/…; the top folder names the splits below it.
      const musdb = join(dir, 'musdb18');
      await mkdir(join(musdb, 'train', 'B'), { recursive: true });
      await writeFile(join(musdb, 'train', 'B', 'mixture.wav'), 'x');
      await writeFile(join(musdb, 'train', 'C.stem.mp4'), 'x');
      await mkdir(join(musdb, 'test'), { recursive: true });
      await writeFile(join(musdb, 'test', 'A.stem.mp4'), 'x');
      await mkdir(join(musdb, 'notes'));
      await expect(musdbFolderSet(musdb)).rejects.toThrow(
        `--dir ${musdb}: no songs in MUSDB layout (<track>/mixture.wav + vocals/drums/bass/other.wav, or <track>.stem.mp4); the folders below it hold songs: test (1 song), train (2 songs). Give one of them, e.g. --dir ${join(musdb, 'test')} (MUSDB18's test split is its test folder)`,
      );
    } finally {
      await cleanup();
    }
  });

  it('stops at once, saying why, when the engine cannot run at all (not once per song)', async () => {
    const { dir, cleanup } = await makeTempDir('imk-eval-folder-');
    try {
      await track(join(dir, 'One'), { seconds: 1 });
      await track(join(dir, 'Two'), { seconds: 1 });
      const engine = createDemucsEngine({ command: join(dir, 'no-demucs-here') });
      const error = await evaluateEngine({ engine, sets: [await musdbFolderSet(dir)] }).catch(
        (e: unknown) => e,
      );
      expect(isImkError(error, 'ENGINE_UNAVAILABLE'), String(error)).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
