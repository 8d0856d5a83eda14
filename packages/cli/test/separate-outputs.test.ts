import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '@imk/media';
import { ffmpeg } from '@imk/media/testing';
import { IMK } from './imk-bin.ts';

describe('imk separate never replaces a file unasked', () => {
  let dir = '';
  let input = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-cli-separate-keep-'));
    input = join(dir, 'Song.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t):s=44100:d=1', input);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const separate = (out: string, ...args: string[]) =>
    execa(process.execPath, [IMK, 'separate', input, '--out', out, '--format', 'wav', ...args], {
      reject: false,
    });

  it('refuses before separating when a file it would write is there, names it, and writes nothing', async () => {
    const out = join(dir, 'taken');
    await mkdir(join(out, 'stems'), { recursive: true });
    // The user's own files, under names this run would write (a variant and a stem).
    await writeFile(join(out, 'Song - no_drums.wav'), 'my edit');
    await writeFile(join(out, 'stems', 'Song - vocals.wav'), 'my vocal take');
    const result = await separate(out, '--stems');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(join(out, 'Song - no_drums.wav'));
    expect(result.stderr).toContain(join(out, 'stems', 'Song - vocals.wav'));
    expect(result.stderr).toContain('--overwrite');
    expect(result.stderr).not.toContain('separating');
    expect(await readFile(join(out, 'Song - no_drums.wav'), 'utf8')).toBe('my edit');
    expect(await readFile(join(out, 'stems', 'Song - vocals.wav'), 'utf8')).toBe('my vocal take');
    expect((await readdir(out)).sort()).toEqual(['Song - no_drums.wav', 'stems']);
  });

  // --out naming a file (the input itself, a typo) failed with Node's own "EEXIST: file already exists,
  // mkdir '…'", no code, and a file on the way to it with "ENOTDIR …".
  it.each([
    ['a file', (file: string) => file],
    ['a folder below a file', (file: string) => join(file, 'out')],
  ])('says --out is no folder when it names %s, before separating, and leaves the file', async (_, out) => {
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'my notes');
    const result = await separate(out(file));
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(
      `imk: --out: ${out(file)} is a file, or a file is on the way to it: give a folder [INVALID_OPTION]`,
    );
    expect(result.stderr).not.toContain('separating');
    expect(await readFile(file, 'utf8')).toBe('my notes');
  });

  it('runs twice into one folder only with --overwrite, which replaces the files', async () => {
    const out = join(dir, 'again');
    const two = ['--variants', 'instrumental,no_drums'];
    expect((await separate(out, ...two)).exitCode).toBe(0);
    const second = await separate(out, ...two);
    expect(second.exitCode).not.toBe(0);
    expect(second.stderr).toMatch(/2 files this would write already exist, and are kept/);
    await writeFile(join(out, 'Song - instrumental.wav'), 'stale');
    const replaced = await separate(out, '--overwrite', ...two);
    expect(replaced.exitCode).toBe(0);
    expect((await readFile(join(out, 'Song - instrumental.wav'))).subarray(0, 4).toString()).toBe('RIFF');
  });
});

describe('imk separate keeps the input sample rate', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-cli-separate-rate-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("writes a 48 kHz song's files at 48 kHz, or at --sample-rate, and refuses a rate that is none", async () => {
    const input = join(dir, 'Session.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t):s=48000:d=1', input);
    const run = (out: string, ...args: string[]) =>
      execa(
        process.execPath,
        [IMK, 'separate', input, '--out', join(dir, out), '--format', 'wav', '--stems', ...args],
        {
          reject: false,
        },
      );
    const same = await run('same', '--variants', 'instrumental');
    expect(same.exitCode).toBe(0);
    for (const file of same.stdout.trim().split('\n'))
      expect((await probeMedia(file)).audio?.sample_rate).toBe(48000);
    const asked = await run('asked', '--sample-rate', '44100', '--variants', 'instrumental');
    expect(asked.exitCode).toBe(0);
    for (const file of asked.stdout.trim().split('\n'))
      expect((await probeMedia(file)).audio?.sample_rate).toBe(44100);
    const bad = await run('bad', '--sample-rate', '44.1k');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('--sample-rate "44.1k" is not a sample rate');
  });
});

// A 96 or 192 kHz studio file was written at its own rate in any format: as m4a (the default) at 192 kHz,
// or as mp3 above 48 kHz, ffmpeg refused it at the encode ("Specified sample rate 192000 is not
// supported"), after the whole separation; an explicit --sample-rate the format cannot take, the same.
describe('imk separate of a song at a rate the lossy format cannot take', () => {
  let dir = '';
  let input = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-cli-separate-hirate-'));
    input = join(dir, 'Studio.wav');
    await ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.3*sin(2*PI*220*t)|0.3*sin(2*PI*330*t):s=192000:d=1', input);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const run = (out: string, ...args: string[]) =>
    execa(
      process.execPath,
      [IMK, 'separate', input, '--out', join(dir, out), '--variants', 'instrumental', ...args],
      {
        reject: false,
      },
    );

  it.each([
    ['m4a', 96000],
    ['mp3', 48000],
  ])("writes %s at the highest rate it takes below the input's, and says so", async (format, rate) => {
    const result = await run(format, '--format', format);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`imk: ${format} cannot be written at 192000 Hz: it takes `);
    expect(result.stderr).toContain(
      `the files are written at ${rate} Hz (--format flac or wav keeps 192000 Hz)`,
    );
    const [file] = result.stdout.trim().split('\n');
    expect((await probeMedia(file!)).audio?.sample_rate).toBe(rate);
  });

  it('refuses a --sample-rate the format cannot take before separating', async () => {
    const result = await run('asked', '--format', 'mp3', '--sample-rate', '96000');
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(
      'imk: --sample-rate 96000: mp3 cannot be written at 96000 Hz: it takes 8000',
    );
    expect(result.stderr).not.toContain('separating');
    expect(await readdir(dir)).not.toContain('asked');
  });
});

describe('imk separate --stems of a song over full scale', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imk-cli-separate-hot-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** 24-bit samples of the decoded file at full scale (cut flat). */
  async function fullScaleSamples(file: string): Promise<number> {
    const { stdout } = await execa('ffmpeg', ['-v', 'error', '-i', file, '-f', 's32le', '-'], {
      encoding: 'buffer',
    });
    const buf = Buffer.from(stdout);
    let count = 0;
    for (let i = 0; i + 3 < buf.length; i += 4) if (Math.abs(buf.readInt32LE(i)) >= 0x7fffff00) count++;
    return count;
  }

  it('writes the stems unclipped, turned down alike, and says so', async () => {
    // A float WAV peaking near +14 dBFS (4.85): four stems that sum to it cannot all stay within full scale,
    // whatever the engine's split (one is at least a quarter of the peak, 1.21), so some go over. At +6 dBFS
    // that was up to the engine: builtin 1.10.0 split this song into stems that all fit, and nothing was
    // turned down.
    const input = join(dir, 'Hot.wav');
    const expr = '3*sin(2*PI*220*t)+2*sin(2*PI*55*t)';
    await ffmpeg('-f', 'lavfi', '-i', `aevalsrc=${expr}|${expr}:s=44100:d=1`, '-c:a', 'pcm_f32le', input);
    const out = join(dir, 'out');
    const result = await execa(
      process.execPath,
      [IMK, 'separate', input, '--out', out, '--format', 'flac', '--stems', '--variants', 'instrumental'],
      { reject: false },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /stems turned down by [\d.]+ dB, all alike so that they still sum to the mixture/,
    );
    const stems = result.stdout
      .trim()
      .split('\n')
      .filter((f) => f.includes(join(out, 'stems')));
    expect(stems).toHaveLength(4);
    for (const stem of stems) expect(await fullScaleSamples(stem), stem).toBe(0);
  }, 120_000);
});
