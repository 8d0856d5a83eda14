import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { legacySample } from '@imk/media/legacy-samples';
import { parseSidecar, readSidecar, sidecarCandidates } from './sidecar.ts';

describe('per-song sidecar (legacy shape)', () => {
  it('reads a key left without a value (YAML null) as not set, at any level, whatever the key', () => {
    const blank = [
      'model:',
      'engine: ~',
      'stems: null',
      'keep_stems:',
      'codec:',
      'format:',
      'sample_rate:',
      'bit_depth:',
      'target_lufs:',
      'true_peak:',
      'two_pass:',
      'variants:',
      'pitch:',
      'tempo:',
      'mix:',
      '  target_lufs:',
      '  true_peak: ~',
      '  dual_pass_loudnorm:',
    ].join('\r\n');
    expect(parseSidecar('My Song.stems.yml', blank)).toEqual({
      file: 'My Song.stems.yml',
      unknownKeys: [],
      warnings: [],
    });
    expect(parseSidecar('s.yml', 'mix:\nmodel: htdemucs\nkeep_stems: [D, B]')).toMatchObject({
      model: 'htdemucs',
      instrumentalStems: ['drums', 'bass'],
    });
    expect(parseSidecar('s.yml', 'stems: { keep: }').keepStems).toBeUndefined();
  });

  it('reads stem letters, codec, sample rate, bit depth and loudness', () => {
    const options = parseSidecar(
      'song.yaml',
      'stems: VDB\ncodec: aac\nsample_rate: 48000\nbit_depth: 24\ntarget_lufs: -14\ntrue_peak: -1\ntwo_pass: false\nmodel: htdemucs\n',
    );
    expect(options).toMatchObject({
      keepStems: ['vocals', 'drums', 'bass'],
      format: 'm4a',
      sampleRate: 48000,
      bitDepth: 24,
      targetLufs: -14,
      truePeak: -1,
      twoPass: false,
      model: 'htdemucs',
      unknownKeys: [],
    });
    expect(parseSidecar('s.yaml', 'stems: [vocals, O]').keepStems).toEqual(['vocals', 'other']);
    expect(parseSidecar('s.yaml', 'stems: true').keepStems).toEqual(['vocals', 'drums', 'bass', 'other']);
    expect(parseSidecar('s.yaml', 'stems: ""\ncolour: blue').keepStems).toEqual([]);
    expect(parseSidecar('s.yaml', 'stems: { keep: [D] }').keepStems).toEqual(['drums']);
    expect(parseSidecar('s.yaml', 'colour: blue').unknownKeys).toEqual(['colour']);
  });

  it('reads key and tempo, for every variant of the song', () => {
    expect(parseSidecar('song.yaml', 'pitch: -2\ntempo: 0.8\n')).toMatchObject({ pitch: -2, tempo: 0.8 });
    expect(() => parseSidecar('song.yaml', 'pitch: 13')).toThrow(
      /song\.yaml: pitch: .*-12 to \+12 semitones/,
    );
    expect(() => parseSidecar('song.yaml', 'tempo: 3')).toThrow(/song\.yaml: tempo: .*0\.5 to 2\.0/);
  });

  it('names the file, the field, the allowed range and what it found', () => {
    expect(() => parseSidecar('My Song.yaml', 'target_lufs: -3')).toThrow(
      /My Song\.yaml: target_lufs: must be between -30 and -5 LUFS \(found -3\)/,
    );
    expect(() => parseSidecar('a.yml', 'true_peak: 2')).toThrow(
      /a\.yml: true_peak: must be between -6 and 0 dBTP/,
    );
    expect(() => parseSidecar('a.yml', 'stems: VX')).toThrow(
      /a\.yml: stems: use the letters V \(vocals\), D \(drums\), B \(bass\), O \(other\)/,
    );
    expect(() => parseSidecar('a.yml', 'codec: wma')).toThrow(
      /a\.yml: codec: expected one of m4a, aac, mp3, flac, wav, pcm, alac, opus, ogg, vorbis \(found "wma"\)/,
    );
    expect(() => parseSidecar('a.yml', 'bit_depth: 20')).toThrow(/a\.yml: bit_depth: expected 16, 24 or 32/);
    expect(() => parseSidecar('a.yml', 'stems: [V')).toThrow(/a\.yml is not valid YAML/);
    expect(() => parseSidecar('a.yml', '- just a list')).toThrow(/a\.yml: \(top level\): expected a mapping/);
  });

  it("reads every codec the earlier version's schema allowed, and quoted numbers, saying what was used", () => {
    // Its stems.schema.yml: codec one of flac, wav, mp3, opus, m4a, alac, ogg. Each failed the job here.
    for (const [codec, used] of [
      ['alac', 'flac'],
      ['opus', 'm4a'],
      ['ogg', 'm4a'],
      ['OGG', 'm4a'],
    ] as const) {
      const options = parseSidecar('s.stems.yml', `codec: ${codec}`);
      expect(options.format, codec).toBe(used);
      expect(options.warnings, codec).toEqual([
        expect.stringMatching(
          new RegExp(`^s\\.stems\\.yml: codec: "${codec}" is not made here; ${used} was used instead`),
        ),
      ]);
    }
    expect(parseSidecar('s.yml', 'format: opus')).toMatchObject({
      format: 'm4a',
      warnings: [/^s\.yml: format:/],
    });
    // Quoted numbers, top level and under mix:, are the numbers they say; ranges still apply.
    const quoted = parseSidecar(
      's.stems.yml',
      'sample_rate: "44100"\nbit_depth: \'24\'\ntrue_peak: "-1.0"\nmix:\n  target_lufs: " -14 "\n',
    );
    expect(quoted).toMatchObject({ sampleRate: 44100, bitDepth: 24, truePeak: -1, targetLufs: -14 });
    expect(quoted.warnings).toEqual([
      's.stems.yml: sample_rate: "44100" is text; the number 44100 was used',
      's.stems.yml: bit_depth: "24" is text; the number 24 was used',
      's.stems.yml: true_peak: "-1.0" is text; the number -1 was used',
      's.stems.yml: mix.target_lufs: " -14 " is text; the number -14 was used',
    ]);
    expect(() => parseSidecar('s.yml', 'sample_rate: "4k"')).toThrow(/s\.yml: sample_rate: .*number/);
    expect(() => parseSidecar('s.yml', 'sample_rate: "1000"')).toThrow(/s\.yml: sample_rate:/);
    expect(parseSidecar('s.yml', 'codec: flac\nsample_rate: 48000').warnings).toEqual([]);
  });

  it('looks beside the audio: song.m4a.yaml, song.m4a.yml, song.yaml, song.yml, song.stems.yml', () => {
    expect(sidecarCandidates('dir/song.m4a')).toEqual([
      'dir/song.m4a.yaml',
      'dir/song.m4a.yml',
      'dir/song.yaml',
      'dir/song.yml',
      'dir/song.stems.yml',
      'dir/song.stems.yaml',
    ]);
  });

  it("reads the earlier version's example: keep_stems makes the instrumental, mix: sets loudness", async () => {
    const file = legacySample('My Song.stems.yml');
    const options = parseSidecar('My Song.stems.yml', await readFile(file, 'utf8'));
    expect(options).toMatchObject({
      model: 'htdemucs',
      instrumentalStems: ['drums', 'bass', 'other'],
      format: 'flac',
      sampleRate: 44100,
      bitDepth: 16,
      targetLufs: -14,
      truePeak: -1,
      twoPass: true,
      unknownKeys: [],
    });
    expect(options.keepStems).toBeUndefined();
    expect(parseSidecar('s.yml', 'keep_stems: [V, B]').instrumentalStems).toEqual(['vocals', 'bass']);
    expect(() => parseSidecar('s.yml', 'keep_stems: []')).toThrow(/s\.yml: keep_stems: name the stems/);
    expect(() => parseSidecar('s.yml', 'mix: { target_lufs: -40 }')).toThrow(
      /s\.yml: mix\.target_lufs: must be between -30 and -5 LUFS/,
    );
  });

  it('reads yes/no and on/off as booleans, as the earlier version did (PyYAML, YAML 1.1)', async () => {
    // Its example, as its users edited it: "true" written "yes", or "on"; each was true there.
    const example = await readFile(legacySample('My Song.stems.yml'), 'utf8');
    for (const word of ['yes', 'Yes', 'YES', 'on', 'On', 'ON']) {
      const text = example.replace('dual_pass_loudnorm: true', `dual_pass_loudnorm: ${word}`);
      expect(text).toContain(word);
      expect(parseSidecar('My Song.stems.yml', text), word).toMatchObject({ twoPass: true, targetLufs: -14 });
    }
    for (const word of ['no', 'No', 'NO', 'off', 'Off', 'OFF'])
      expect(parseSidecar('s.stems.yml', `two_pass: ${word}`).twoPass, word).toBe(false);
    expect(parseSidecar('s.yml', 'stems: yes').keepStems).toEqual(['vocals', 'drums', 'bass', 'other']);
    // Only those words: y/n were text to PyYAML too, and a quoted "yes" is text to YAML: in a yes/no
    // setting it is taken for what it says, with a warning, as the earlier version took it (below). (Before,
    // it failed the job: "expected boolean".)
    expect(parseSidecar('s.yml', 'model: n').model).toBe('n');
    expect(parseSidecar('s.yml', 'two_pass: "yes"')).toMatchObject({
      twoPass: true,
      warnings: ['s.yml: two_pass: "yes" is text; true was used (write true without quotes)'],
    });
  });
});

describe('readSidecar', () => {
  it('reads the options file of a song whose name it spells in the other Unicode normalisation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-sidecar-nfd-'));
    try {
      // The song from a Mac's Finder (NFD), its options typed by hand (NFC): one song and its options.
      const text = await readFile(legacySample('My Song.stems.yml'), 'utf8');
      const optionsFile = 'Björk - Jóga.stems.yml'.normalize('NFC');
      await writeFile(join(dir, 'Björk - Jóga.wav'.normalize('NFD')), 'audio');
      await writeFile(join(dir, optionsFile), text);
      expect(await readSidecar(dir, 'Björk - Jóga.wav'.normalize('NFD'))).toEqual(
        parseSidecar(optionsFile, text),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Windows PowerShell 5 writes a file as UTF-16 with a byte order mark (`Out-File`, `>`): the job failed with
// 'song.yml: (top level): expected a mapping such as "stems: VDBO" (found "\uFFFD\uFFFDm\u0000o\u0000…")'.
describe('readSidecar of an options file saved as UTF-16', () => {
  it.each(['utf16le', 'utf16be'] as const)('%s: reads it as the same options', async (encoding) => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-sidecar-utf16-'));
    try {
      const text = (await readFile(legacySample('My Song.stems.yml'), 'utf8')).replace(/\n/g, '\r\n');
      const le = Buffer.from(`\uFEFF${text}`, 'utf16le');
      await writeFile(join(dir, 'a.wav'), 'audio');
      await writeFile(join(dir, 'a.yml'), encoding === 'utf16le' ? le : le.swap16());
      expect(await readSidecar(dir, 'a.wav')).toEqual(parseSidecar('a.yml', text));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Two options files beside one song (a.yaml edited by hand, an old a.wav.yml left from before): the first
// in the documented order was read and the other ignored without a word, so the edit did nothing.
describe('readSidecar with two options files for one song', () => {
  it('reads the first in the documented order and says which it did not read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-sidecar-two-'));
    try {
      await writeFile(join(dir, 'a.wav'), 'audio');
      await writeFile(join(dir, 'a.yaml'), 'codec: flac\n');
      await writeFile(join(dir, 'a.wav.yml'), 'codec: mp3\n');
      await writeFile(join(dir, 'a.stems.yml'), 'codec: wav\n');
      const options = await readSidecar(dir, 'a.wav');
      expect(options).toMatchObject({ file: 'a.wav.yml', format: 'mp3' });
      expect(options?.warnings).toEqual([
        `a.yaml, a.stems.yml are not read: one options file is read per song, a.wav.yml (the first of ${sidecarCandidates('a.wav').join(', ')})`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// A sidecar of `- - - …` (two bytes a level: 30,000 levels within its 64 KB) overflowed the stack of the YAML
// composer: said as "not valid YAML: Maximum call stack size exceeded", and on the third or fourth such file
// the worker died ("FATAL ERROR: RegExpCompiler Allocation failed - process out of memory").
describe('a per-song options file nested past 64 levels, in any YAML style', () => {
  const levels = 30_000;
  it.each([
    ['block sequences on one line', `${'- '.repeat(levels)}1\n`],
    ['block sequences under a key', `stems:\n  ${'- '.repeat(levels)}1\n`],
    ['explicit keys', `${'? '.repeat(levels)}1\n`],
    ['flow mappings', `mix: ${'{a: '.repeat(levels)}1${'}'.repeat(levels)}\n`],
    [
      'block mappings, one a line',
      `${Array.from({ length: 65 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`,
    ],
  ])('is refused with the file named, file after file: %s', (_style, text) => {
    for (let i = 0; i < 8; i++)
      expect(() => parseSidecar('song.m4a.yaml', text)).toThrow(
        'per-song options song.m4a.yaml nests more than 64 levels deep',
      );
  });

  it('is read when it nests 64 levels or fewer', () => {
    const text = `stems: VDBO\nx:\n  ${'- '.repeat(62)}1\n`;
    expect(parseSidecar('song.m4a.yaml', text)).toMatchObject({ unknownKeys: ['x'] });
  });
});

describe('per-song options out of range', () => {
  it('say the whole allowed range, whichever side the value crossed', () => {
    expect(() => parseSidecar('s.yml', 'sample_rate: 1000')).toThrow(
      /s\.yml: sample_rate: must be between 8000 and 192000/,
    );
    expect(() => parseSidecar('s.yml', 'sample_rate: 384000')).toThrow(
      /s\.yml: sample_rate: must be between 8000 and 192000/,
    );
  });
});

describe("the earlier version's sidecar with its yes/no setting quoted", () => {
  // Its example, `dual_pass_loudnorm: true`, as its users also wrote it: quoted. The earlier version took any
  // quoted value there (Python's bool() of the text); before, this version failed the job ("expected
  // boolean, received string"), as PyYAML's strict readers would.
  const sample = async (value: string) =>
    (await readFile(legacySample('My Song.stems.yml'), 'utf8')).replace(
      'dual_pass_loudnorm: true',
      `dual_pass_loudnorm: ${value}`,
    );

  it.each([
    ['"true"', true],
    ["'false'", false],
    ['"yes"', true],
    ['"No"', false],
    ["'on'", true],
    ['" off "', false],
  ])('reads %s as %s, saying so', async (value, expected) => {
    const options = parseSidecar('My Song.stems.yml', await sample(value));
    expect(options).toMatchObject({ twoPass: expected, targetLufs: -14, sampleRate: 44100 });
    expect(options.warnings).toEqual([
      `My Song.stems.yml: mix.dual_pass_loudnorm: ${JSON.stringify(value.slice(1, -1))} is text; ${expected} was used (write ${expected} without quotes)`,
    ]);
  });

  it('reads our own yes/no settings quoted the same way, and refuses any other text naming what to write', async () => {
    expect(parseSidecar('s.yml', 'two_pass: "false"').twoPass).toBe(false);
    expect(parseSidecar('s.yml', "two_pass_loudnorm: 'yes'").twoPass).toBe(true);
    expect(() => parseSidecar('s.yml', 'two_pass: "sometimes"')).toThrow(
      /per-song options s\.yml: two_pass: expected true or false, written without quotes \(found "sometimes"\)/,
    );
    await expect(async () => parseSidecar('My Song.stems.yml', await sample('"maybe"'))).rejects.toThrow(
      /My Song\.stems\.yml: mix\.dual_pass_loudnorm: expected true or false, written without quotes \(found "maybe"\)/,
    );
  });
});
