import { execFileSync } from 'node:child_process';
import { rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBuiltinEngine } from '../src/engines/builtin.ts';
import { sdr } from '../src/dsp/sdr.ts';
import { evaluateEngine } from '../src/eval/evaluate.ts';
import { musdbFolderSet } from '../src/eval/folder-set.ts';
import { repetSimSeparate } from '../src/eval/repet-sim-baseline.ts';
import { ffmpeg, makeTempDir } from './audio-fixtures.ts';

const RATE = 44100;

/** A 1-s noise-and-chord loop repeated (the background) plus a gliding tone that never repeats. */
function loopAndGlide(seconds: number): { background: Float32Array[]; foreground: Float32Array[] } {
  const n = seconds * RATE;
  let state = 12345;
  const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const loop = new Float32Array(RATE);
  for (let i = 0; i < RATE; i++) {
    const t = i / RATE;
    const hit = Math.exp(-30 * (t % 0.25)) * rand() * 0.3;
    loop[i] = hit + 0.1 * Math.sin(2 * Math.PI * 220 * t) + 0.1 * Math.sin(2 * Math.PI * 330 * t);
  }
  const bg = new Float32Array(n);
  const fg = new Float32Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    bg[i] = loop[i % RATE]!;
    phase += (2 * Math.PI * (400 + 300 * (i / n))) / RATE;
    fg[i] = 0.2 * Math.sin(phase);
  }
  return { background: [bg, bg], foreground: [fg, fg] };
}

describe('REPET-SIM baseline (nussl defaults)', () => {
  it('finds the repeating loop: its estimates beat the unprocessed mixture, and they sum to the mixture', () => {
    const { background, foreground } = loopAndGlide(6);
    const mixture = background.map((b, c) => b.map((v, i) => v + foreground[c]![i]!));
    const { vocals, accompaniment } = repetSimSeparate(mixture, RATE);
    for (let i = 0; i < mixture[0]!.length; i += 997) {
      expect(vocals[0]![i]! + accompaniment[0]![i]!).toBeCloseTo(mixture[0]![i]!, 5);
    }
    expect(sdr(foreground, vocals, RATE)).toBeGreaterThan(sdr(foreground, mixture, RATE) + 6);
    expect(sdr(background, accompaniment, RATE)).toBeGreaterThan(sdr(background, mixture, RATE) + 3);
  });

  it('keeps the band below 100 Hz in the accompaniment', () => {
    const n = 4 * RATE;
    const hum = new Float32Array(n).map((_, i) => 0.3 * Math.sin((2 * Math.PI * 40 * i) / RATE));
    const { vocals } = repetSimSeparate([hum, hum], RATE);
    const energy = (x: Float32Array) => x.reduce((s, v) => s + v * v, 0);
    expect(energy(vocals[0]!)).toBeLessThan(energy(hum) * 1e-3);
  });
});

describe('imk eval --dir: a folder in MUSDB layout', () => {
  it('scores every track folder, and names the folder and the missing file when one is incomplete', async () => {
    const { dir, cleanup } = await makeTempDir('imk-eval-dir-');
    try {
      const track = join(dir, 'Artist - Song');
      const tone = (f: number) => `aevalsrc=0.2*sin(2*PI*${f}*t)|0.2*sin(2*PI*${f}*t):s=44100:d=2`;
      const { mkdir } = await import('node:fs/promises');
      await mkdir(track);
      await ffmpeg('-f', 'lavfi', '-i', tone(440), join(track, 'vocals.wav'));
      await ffmpeg('-f', 'lavfi', '-i', tone(60), join(track, 'bass.wav'));
      await ffmpeg('-f', 'lavfi', '-i', tone(0), join(track, 'drums.wav'));
      await ffmpeg('-f', 'lavfi', '-i', tone(0), join(track, 'other.wav'));
      await ffmpeg(
        '-i',
        join(track, 'vocals.wav'),
        '-i',
        join(track, 'bass.wav'),
        '-filter_complex',
        'amix=inputs=2:normalize=0',
        join(track, 'mixture.wav'),
      );
      const set = await musdbFolderSet(dir);
      expect(set.split).toBe('test');
      expect(set.tracks.map((t) => t.name)).toEqual(['Artist - Song']);
      const report = await evaluateEngine({ engine: createBuiltinEngine(), sets: [set] });
      const scores = report.sets[0]!.tracks[0]!.stems;
      expect(scores.vocals.engine).not.toBeNull();
      expect(scores.vocals.repet_sim).not.toBeNull();
      expect(scores.accompaniment.floor).not.toBeNull();

      // A folder of links into a MUSDB copy elsewhere works: it is the user's own folder.
      const links = join(dir, 'links');
      await mkdir(links);
      await symlink(track, join(links, 'Linked Song'));
      expect((await musdbFolderSet(links)).tracks.map((t) => t.name)).toEqual(['Linked Song']);

      const broken = join(dir, 'Broken');
      await mkdir(broken);
      await writeFile(join(broken, 'mixture.wav'), '');
      await expect(musdbFolderSet(dir)).rejects.toThrow(
        /Broken: missing vocals\.wav, drums\.wav, bass\.wav, other\.wav/,
      );
      await expect(musdbFolderSet(join(dir, 'nope'))).rejects.toThrow(/not a folder/);
    } finally {
      await cleanup();
    }
  });

  it('refuses a FIFO or a device in place of a song, naming it, instead of hanging ffmpeg', async () => {
    const { dir, cleanup } = await makeTempDir('imk-eval-dir-');
    try {
      const { mkdir } = await import('node:fs/promises');
      execFileSync('mkfifo', [join(dir, 'Pipe.stem.mp4')]);
      await expect(musdbFolderSet(dir)).rejects.toThrow(/Pipe\.stem\.mp4 is a FIFO \(named pipe\)/);
      await rm(join(dir, 'Pipe.stem.mp4'));

      // A link to a device inside a track folder: followed, then refused for what it is.
      const track = join(dir, 'Song');
      await mkdir(track);
      for (const name of ['mixture', 'vocals', 'drums', 'bass'])
        await ffmpeg('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo:d=1', join(track, `${name}.wav`));
      await symlink('/dev/zero', join(track, 'other.wav'));
      await expect(musdbFolderSet(dir)).rejects.toThrow(/other\.wav is a character device/);
    } finally {
      await cleanup();
    }
  });
});
