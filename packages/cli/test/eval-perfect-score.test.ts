// A perfect estimate scores SDR +∞ (nothing to subtract). `imk eval` used to show it as "–" with the note
// "SDR undefined: no whole 1-s window where the reference and the estimate are both non-silent", leave the
// song out of the set's median, and write null in --json, the same as a silent stem: a method that got a
// stem exactly right read as "not measured".
import { mkdir, mkdtemp, rm, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ffmpeg } from '@imk/media/testing';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

let dir = '';
let songs = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-eval-perfect-'));
  songs = join(dir, 'songs');
  // A drums-only song: the mixture is the drums stem byte for byte, so the floor (the mixture as every
  // estimate) gets drums and accompaniment exactly right; the vocals stem is silent (SDR undefined).
  const track = join(songs, 'Drums Only');
  await mkdir(track, { recursive: true });
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.3*sin(2*PI*110*t)*exp(-8*mod(t\\,0.5)):s=44100:d=3:c=stereo',
    join(track, 'drums.wav'),
  );
  for (const stem of ['vocals', 'bass', 'other'])
    await ffmpeg('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo:d=3', join(track, `${stem}.wav`));
  await copyFile(join(track, 'drums.wav'), join(track, 'mixture.wav'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const imk = (...args: string[]) =>
  execa(process.execPath, [IMK, 'eval', '--dir', songs, ...args], { reject: false, timeout: 300_000 });

describe('imk eval: a perfect estimate', () => {
  it('is shown as +∞ in the table, apart from the undefined "–", and the note says what it means', async () => {
    const r = await imk();
    expect(r.exitCode, r.stderr).toBe(0);
    const row = (stem: string) => r.stdout.split('\n').find((l) => new RegExp(`\\s${stem}\\s`).test(l)) ?? '';
    // columns: engine, floor, centre-cancel, REPET-SIM, engine−floor, engine−REPET
    expect(
      row('drums')
        .trim()
        .split(/\s{2,}/),
    ).toEqual([
      'drums',
      expect.stringMatching(/^-?\d+\.\d\d$/),
      '+∞',
      expect.any(String),
      expect.stringMatching(/^-?\d+\.\d\d$/),
      '−∞',
      expect.stringMatching(/^[+-]\d+\.\d\d$/),
    ]);
    expect(row('accompaniment')).toMatch(/accompaniment\s+-?\d+\.\d\d\s+\+∞/);
    expect(row('vocals')).toMatch(/vocals\s+–\s+–/);
    expect(r.stdout).toContain('+∞: a perfect estimate');
    expect(r.stdout).toContain('–: SDR undefined');
  }, 300_000);

  it('--json stays valid JSON and tells +∞ ("Infinity") apart from undefined (null)', async () => {
    const r = await imk('--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      sets: {
        stems: Record<string, Record<string, unknown>>;
        tracks: { stems: Record<string, Record<string, unknown>> }[];
      }[];
    };
    const set = report.sets[0]!;
    expect(set.tracks[0]!.stems.drums!.floor).toBe('Infinity');
    expect(set.stems.drums!.floor).toBe('Infinity');
    expect(set.stems.accompaniment!.floor).toBe('Infinity');
    expect(set.stems.vocals!.floor).toBeNull();
    expect(set.stems.drums!.engine).toEqual(expect.any(Number));
    expect(Number(set.stems.drums!.floor)).toBe(Number.POSITIVE_INFINITY);
  }, 300_000);
});
