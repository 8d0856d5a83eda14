import { describe, expect, it } from 'vitest';
import { fitBytes, fitName, safeFileName, windowsNameProblem } from './file-name.ts';

describe('safeFileName', () => {
  it('replaces characters NTFS and SMB refuse, keeps unicode', () => {
    expect(safeFileName('AC/DC: Back in Black?', '.m4a')).toBe('AC_DC_ Back in Black_.m4a');
    expect(safeFileName('Sigur Rós – Hoppípolla', '.m4a')).toBe('Sigur Rós – Hoppípolla.m4a');
  });

  it('drops trailing dots and spaces and avoids device names', () => {
    expect(safeFileName('Title... ')).toBe('Title');
    expect(safeFileName('CON')).toBe('_CON');
    expect(safeFileName('...')).toBe('untitled');
  });

  // An artist ".." and a title "." made " -.m4a": a name starting with a space, saying nothing of the song.
  it('never starts a name with a space or a dot, and falls back when only separators are left', () => {
    expect(safeFileName('.. - .', '.m4a', 'job_1')).toBe('job_1.m4a');
    expect(safeFileName(' . Song', '.m4a')).toBe('Song.m4a');
    expect(safeFileName('?? - ??', '.m4a', 'job_2')).toBe('job_2.m4a');
    expect(safeFileName('- -', '', 'job_3')).toBe('job_3');
    expect(safeFileName('!!! - Heart of Hearts', '.m4a')).toBe('!!! - Heart of Hearts.m4a');
    expect(safeFileName('!!!', '.m4a')).toBe('!!!.m4a');
  });

  it('stays within 255 bytes including the suffix, cutting on a character boundary', () => {
    const name = safeFileName('日本語'.repeat(100), ' (no drum).m4a');
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith(' (no drum).m4a')).toBe(true);
    expect(name).not.toContain('\uFFFD');
  });
});

// A name cut between the code points of one visible character showed a broken symbol: 🇯🇵 cut after its first
// code point is a lone "J" indicator, 👨‍👩‍👧 became 👨‍ and a man, 👍🏽 lost its skin tone, e + U+0301 lost its accent.
const CLUSTERS = ['🇯🇵', '👨‍👩‍👧', '👍🏽', 'e\u0301', '🏳️‍🌈', 'ก่'];
const graphemes = (text: string): string[] =>
  [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);

describe('cutting a name between what a reader sees as characters', () => {
  it('keeps every multi-code-point character whole, at every byte budget', () => {
    for (const cluster of CLUSTERS) {
      const text = `Song ${cluster.repeat(60)}`;
      const whole = graphemes(text);
      for (let budget = 0; budget <= Buffer.byteLength(text); budget++) {
        const cut = fitBytes(text, budget);
        expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(budget);
        const parts = graphemes(cut);
        // The cut is exactly the first N clusters of the text: nothing half-kept, and nothing lost that fitted.
        expect(parts).toEqual(whole.slice(0, parts.length));
        const next = whole[parts.length];
        if (next !== undefined) expect(Buffer.byteLength(cut + next)).toBeGreaterThan(budget);
      }
    }
  });

  it('cuts a 255-byte file name of flags and families before the extension without breaking one', () => {
    for (const cluster of CLUSTERS) {
      const name = fitName(cluster.repeat(100), ' (no drums).m4a');
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      expect(name.endsWith(' (no drums).m4a')).toBe(true);
      const head = name.slice(0, -' (no drums).m4a'.length);
      expect(graphemes(head).every((part) => part === cluster)).toBe(true);
      expect(safeFileName(cluster.repeat(100), '.m4a').normalize('NFC')).toMatch(/\.m4a$/);
      for (const part of graphemes(safeFileName(cluster.repeat(100), '.m4a').slice(0, -4)))
        expect(part).toBe(cluster.normalize('NFC'));
    }
  });

  it('still cuts one character longer than the whole budget (hundreds of accents on one letter)', () => {
    const zalgo = `a${'\u0301'.repeat(300)}`;
    const cut = fitBytes(zalgo, 255);
    expect(cut.startsWith('a')).toBe(true);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(255);
  });
});

describe('windowsNameProblem', () => {
  it.each([
    ['Live: at Wembley?', 'it holds ":"'],
    ['a<b', 'it holds "<"'],
    ['pipe|name', 'it holds "|"'],
    ['AC\\DC', 'it holds "\\"'],
    ['tab\there', 'it holds a control character'],
    ['Song.', 'it ends in a dot'],
    ['Song ', 'it ends in a space'],
    ['CON', '"CON" is a device name there'],
    ['nul.txt', '"nul" is a device name there'],
    ['Com1', '"Com1" is a device name there'],
  ])('%j: %s', (name, problem) => {
    expect(windowsNameProblem(name)).toBe(problem);
  });

  it.each([
    'Café del Mar 01',
    '日本語の歌 (live) + more',
    'CONCERT',
    'v1.2 final',
    ' padded start',
    'console',
  ])('%j is taken', (name) => {
    expect(windowsNameProblem(name)).toBeUndefined();
  });

  // The same rules as safeFileName: whatever it makes is taken.
  it('takes every name safeFileName makes', () => {
    for (const name of ['a:b', 'x.', 'CON', 'nul.txt', '   ', 'a<>|"?*b', 'AC\\DC', 'end. '])
      expect(windowsNameProblem(safeFileName(name)), name).toBeUndefined();
  });
});
