import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeMedia } from '@imk/media';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '@imk/media/testing';
import { IMK } from './imk-bin.ts';

describe('imk separate and imk eval', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-cli-separate-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('separate: writes the chosen variants and the stems in the chosen format, with progress on stderr', async () => {
    const input = join(dir, 'My Song.flac');
    await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t):s=44100:d=4', input);
    const out = join(dir, 'out');
    const { stdout, stderr } = await execa(process.execPath, [
      IMK,
      'separate',
      input,
      '--out',
      out,
      '--stems',
      '--format',
      'flac',
      '--variants',
      'instrumental,inst=mixture-vocals',
    ]);
    const files = stdout.trim().split('\n');
    expect(files).toEqual([
      join(out, 'My Song - instrumental.flac'),
      join(out, 'My Song - inst.flac'),
      ...['vocals', 'drums', 'bass', 'other'].map((stem) => join(out, 'stems', `My Song - ${stem}.flac`)),
    ]);
    for (const file of files) {
      const info = await probeMedia(file);
      expect(info.audio?.codec).toBe('flac');
      expect(info.duration_sec).toBeCloseTo(4, 1);
    }
    // Not a terminal here: plain progress lines, not a redrawn bar.
    expect(stderr).toContain('separating (builtin): 100%');
    expect(stderr).not.toContain('\r');
  });

  it('separate --variants instrumental@-2,vocals@0.8x: key and tempo, named as the worker names them', async () => {
    const input = join(dir, 'Tone.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*440*t)|0.3*sin(2*PI*440*t):s=44100:d=4', input);
    const out = join(dir, 'keyed');
    const { stdout } = await execa(process.execPath, [
      IMK,
      'separate',
      input,
      '--out',
      out,
      '--format',
      'wav',
      '--variants',
      'instrumental@-2,vocals@0.8x',
    ]);
    const files = stdout.trim().split('\n');
    expect(files).toEqual([
      join(out, 'Tone - instrumental (-2 semitones).wav'),
      join(out, 'Tone - vocals (80% tempo).wav'),
    ]);
    expect((await probeMedia(files[0]!)).duration_sec).toBeCloseTo(4, 1);
    // Tempo 0.8: 1.25 times as long.
    expect(Math.abs((await probeMedia(files[1]!)).duration_sec! / 4 - 1.25)).toBeLessThan(0.0125);
  });

  it('separate: a clear error for an unknown engine or variant', async () => {
    const run = (...args: string[]) =>
      execa(process.execPath, [IMK, 'separate', join(dir, 'x.wav'), '--out', dir, ...args], {
        reject: false,
      });
    const engine = await run('--engine', 'spleeter');
    expect(engine.exitCode).not.toBe(0);
    expect(engine.stderr).toContain('unknown separation engine "spleeter"');
    const variant = await run('--variants', 'karaoke');
    expect(variant.stderr).toContain('unknown variant "karaoke"');
    // A bad modifier is named in the item as typed (it was named "x@-13", a stand-in for the name).
    const pitch = await run('--variants', 'instrumental,no_drums@-13');
    expect(pitch.exitCode).not.toBe(0);
    expect(pitch.stderr).toContain('variant "no_drums@-13": pitch -13 is outside -12…+12 semitones');
  });

  it('separate: two variants that would share one file name are refused before any work, naming both', async () => {
    const input = join(dir, 'Twice.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*440*t)|0.3*sin(2*PI*440*t):s=44100:d=1', input);
    const out = join(dir, 'twice');
    const result = await execa(
      process.execPath,
      [
        IMK,
        'separate',
        input,
        '--out',
        out,
        '--format',
        'wav',
        '--variants',
        'instrumental@0.833x,instrumental@0.8334x',
      ],
      { reject: false },
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(join(out, 'Twice - instrumental (83.3% tempo).wav'));
    expect(result.stderr).toMatch(/"instrumental@0\.833x" and "instrumental@0\.8334x"/);
    expect(result.stderr).not.toContain('separating');
  });

  it('eval --json: one report with both sets, saying where the real excerpt was looked for when absent', async () => {
    const { stdout } = await execa(process.execPath, [IMK, 'eval', '--json', '--items', '1'], {
      env: { IMK_EVAL_DIR: join(dir, 'no-eval-here') },
    });
    const report = JSON.parse(stdout) as {
      engine: { name: string };
      sets: {
        id: string;
        missing?: string;
        tracks: unknown[];
        stems: Record<string, { engine: number; floor: number }> | null;
      }[];
    };
    expect(report.engine.name).toBe('builtin');
    const [real, synthetic] = report.sets;
    expect(real?.id).toBe('musdb18-sample');
    // By default only held-out songs: the real excerpt and the General MIDI test songs, never the tune ones.
    expect(report.sets.map((s) => s.id)).toEqual(['musdb18-sample', 'gm-test']);
    if (real?.stems === null) expect(real.missing).toContain(join(dir, 'no-eval-here'));
    expect(synthetic?.tracks).toHaveLength(1);
    expect(Object.keys(synthetic?.stems ?? {})).toEqual([
      'vocals',
      'drums',
      'bass',
      'other',
      'accompaniment',
    ]);
    // Rendering a General MIDI song with FluidSynth and REPET-SIM take a while on a busy machine.
  }, 600_000);
});
