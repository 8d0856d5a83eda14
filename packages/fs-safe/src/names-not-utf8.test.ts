import { describe, expect, it } from 'vitest';
import { showName } from './names-not-utf8.ts';

describe('showName', () => {
  it('writes the bytes that are not UTF-8 as \\xNN and keeps the rest, accents and emoji included', () => {
    expect(showName(Buffer.from('Caf\xe9', 'latin1'))).toBe('Caf\\xE9');
    expect(showName(Buffer.concat([Buffer.from('Björk '), Buffer.from([0xff]), Buffer.from(' 🎵')]))).toBe(
      'Björk \\xFF 🎵',
    );
    // An overlong "/" (C0 AF), a cut sequence at the end, a lone continuation byte: each byte shown.
    expect(showName(Buffer.from([0xc0, 0xaf, 0x61, 0x80, 0xe2, 0x82]))).toBe('\\xC0\\xAFa\\x80\\xE2\\x82');
    // U+FFFD written as such is UTF-8, and shown as it is.
    expect(showName(Buffer.from('a\uFFFDb'))).toBe('a\uFFFDb');
  });
});
