import { describe, expect, it } from 'vitest';
import { andList, orList } from './words.ts';

describe('orList and andList', () => {
  it('says a list as a sentence does: commas, then "or" before the last', () => {
    expect(orList(['m4a', 'mp3', 'flac', 'wav'])).toBe('m4a, mp3, flac or wav');
    expect(orList(['audio', 'video'])).toBe('audio or video');
    expect(orList(['audio'])).toBe('audio');
    expect(andList(['track', 'album', 'playlist'])).toBe('track, album and playlist');
  });
});
