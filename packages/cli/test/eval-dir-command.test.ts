// `imk eval --dir` from the command line: a damaged song among good ones used to end the run with only its
// error (the others' figures lost, after they had been computed); `--engine mdx`, offered in the help,
// could not be given a model at all ("invalid mdx engine options: mdx.model: Invalid input").
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpeg } from '@imk/media/testing';
import { identityGraph, writeModel } from '@imk/separation/testing';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };

let dir = '';
let songs = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-eval-dir-cli-'));
  songs = join(dir, 'songs');
  for (const name of ['Good Song', 'Damaged Song']) {
    const track = join(songs, name);
    await mkdir(track, { recursive: true });
    const tones = { vocals: 440, drums: 110, bass: 55, other: 330 };
    // The four stems in one ffmpeg run (an input and an output each: the same files as a run per stem).
    await ffmpeg(
      ...Object.values(tones).flatMap((hz) => [
        '-f',
        'lavfi',
        '-i',
        `aevalsrc=0.2*sin(2*PI*${hz}*t):s=44100:d=2`,
      ]),
      ...Object.keys(tones).flatMap((stem, i) => ['-map', String(i), join(track, `${stem}.wav`)]),
    );
    await ffmpeg(
      ...Object.keys(tones).flatMap((s) => ['-i', join(track, `${s}.wav`)]),
      '-filter_complex',
      'amix=inputs=4:normalize=0',
      join(track, 'mixture.wav'),
    );
  }
  await writeFile(join(songs, 'Damaged Song', 'vocals.wav'), '');
  await writeModel(join(dir, 'vocals.onnx'), identityGraph(SHAPE), { ...SHAPE, primaryStem: 'Vocals' });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const imk = (...args: string[]) =>
  execa(process.execPath, [IMK, 'eval', '--dir', songs, ...args], { reject: false, timeout: 300_000 });

describe('imk eval --dir', () => {
  it('prints the figures of the songs it could score, names the one it could not, and exits 1', async () => {
    const r = await imk('--json');
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout) as {
      sets: { tracks: { name: string }[]; failed: { name: string; code: string; message: string }[] }[];
    };
    expect(report.sets[0]!.tracks.map((t) => t.name)).toEqual(['Good Song']);
    expect(report.sets[0]!.failed).toEqual([
      {
        name: 'Damaged Song',
        code: 'MEDIA_EMPTY',
        message: expect.stringContaining(join(songs, 'Damaged Song', 'vocals.wav')),
      },
    ]);
    expect(r.stderr).toContain('1 of 2 songs could not be evaluated');
    // Where it is, song by song (a folder of whole songs takes minutes a song).
    expect(r.stderr).toMatch(/song 1 of 2: (Damaged|Good) Song\n(.*\n)*song 2 of 2: (Damaged|Good) Song\n/);
    const table = await imk();
    expect(table.exitCode).toBe(1);
    expect(table.stdout).toMatch(/\(1 of 2\) +vocals +-?\d+\.\d\d/);
    expect(table.stdout).toContain('Damaged Song not scored: media file');
  }, 300_000);

  it('--engine mdx takes --model, and says so when it is missing', async () => {
    const missing = await imk('--engine', 'mdx');
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain('--engine mdx needs --model <file.onnx>');
    const r = await imk('--engine', 'mdx', '--model', join(dir, 'vocals.onnx'), '--json');
    const report = JSON.parse(r.stdout) as {
      engine: { name: string; params: { model: string } };
      sets: { tracks: { name: string; stems: { vocals: { engine: number | null } } }[] }[];
    };
    expect(report.engine).toMatchObject({ name: 'mdx', params: { model: 'vocals.onnx' } });
    expect(report.sets[0]!.tracks[0]!.stems.vocals.engine).toEqual(expect.any(Number));
  }, 300_000);
});
