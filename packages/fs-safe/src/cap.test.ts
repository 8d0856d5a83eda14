import { describe, expect, it, vi } from 'vitest';
import { capText, cutText } from './cap.ts';

// capText cuts long texts for reason files, errors, logs and notifications. It cut at a UTF-16 code unit
// (only half a surrogate pair was taken back), so a character made of several code points was cut apart at
// the limit: a thumbs-up kept without its skin tone, a family emoji broken into people, a flag into a
// lone regional letter, an accent dropped from its letter; and a lone surrogate already in the input went
// into the reason file as it was. Each case puts one such character across every possible cut.
const CHARACTERS: [string, string][] = [
  ['an emoji (a surrogate pair)', '😀'],
  ['a CJK character outside the BMP', '𠀋'],
  ['an emoji with a skin tone', '👍🏽'],
  ['a ZWJ family emoji', '👨‍👩‍👧‍👦'],
  ['a flag (two regional indicators)', '🇫🇷'],
  ['a letter with combining accents', 'e\u0301\u0302'],
  ['a keycap', '1\uFE0F\u20E3'],
  ['a Hangul syllable in jamo', '\u1100\u1161\u11A8'],
];

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('capText and cutText at a character made of several code points', () => {
  it.each(CHARACTERS)('%s: never cut apart, at any cut', (_, character) => {
    const text = `${'a'.repeat(10)}${character}${'z'.repeat(10)}`;
    for (let max = 9; max <= 10 + character.length + 1; max++) {
      const cut = cutText(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      // Whole or not at all, and the cut as long as it can be.
      expect(
        cut === text.slice(0, 10) || cut.startsWith(`${'a'.repeat(10)}${character}`) || max < 10,
        `max ${max}: ${JSON.stringify(cut)}`,
      ).toBe(true);
      if (max >= 10) expect(cut.length).toBe(max < 10 + character.length ? 10 : max);
      const capped = capText(text, max);
      expect(LONE.test(capped)).toBe(false);
      // What a JSON reader and a UTF-8 file get back is the very text, with no replacement character.
      expect(JSON.parse(JSON.stringify(capped))).toBe(capped);
      expect(Buffer.from(capped, 'utf8').toString('utf8')).not.toContain('\uFFFD');
      if (max < text.length) {
        expect(capped).toMatch(/… \(\d+ more characters left out\)$/);
        // capText keeps exactly what cutText keeps: the character whole, or not at all.
        expect(capped.slice(0, capped.lastIndexOf('… ('))).toBe(cut);
      }
    }
  });

  it('counts what was left out in characters (code points)', () => {
    expect(capText(`${'a'.repeat(5)}${'😀'.repeat(4)}`, 5)).toBe('aaaaa… (4 more characters left out)');
  });

  it('a lone surrogate in the input does not reach the output as one', () => {
    const capped = capText(`bad \uD83D here ${'x'.repeat(50)}`, 20);
    expect(LONE.test(capped)).toBe(false);
    expect(capped.startsWith('bad \uFFFD here')).toBe(true);
    expect(LONE.test(capText('short \uDE00'))).toBe(false);
  });

  it('a 10 MB line is cut quickly: only a small window at the cut is split into characters', () => {
    // Splitting text into grapheme clusters is the costly step (seconds for 10 MB); what is segmented is
    // counted here, not timed, so a loaded machine cannot fail it and a slow cut cannot pass it.
    const segment = vi.spyOn(Intl.Segmenter.prototype, 'segment');
    try {
      const capped = capText('👍🏽'.repeat(2_500_000), 100);
      expect(capped).toMatch(/^(👍🏽){25}… \(4999950 more characters left out\)$/);
      const segmented = segment.mock.calls.reduce((sum, [text]) => sum + text.length, 0);
      expect(segmented).toBeGreaterThan(100);
      expect(segmented).toBeLessThan(1000);
    } finally {
      segment.mockRestore();
    }
  });
});
