import { describe, expect, it } from 'vitest';
import { songFileName } from './file-name.ts';

describe('songFileName', () => {
  it('drops the folder and the extension', () => {
    expect(songFileName('/music/Artist - Title.mp3')).toBe('Artist - Title');
    expect(songFileName('Artist - Title.v2.flac')).toBe('Artist - Title.v2');
    expect(songFileName('no extension')).toBe('no extension');
  });

  it("takes a Native Instruments stem file's .stem.mp4 as one extension, in any case", () => {
    expect(songFileName('/dj/Artist - Title.stem.mp4')).toBe('Artist - Title');
    expect(songFileName('Artist - Title.STEM.MP4')).toBe('Artist - Title');
    // Only the double extension at the end: a plain .mp4 or a ".stem" inside the name stays as it was.
    expect(songFileName('Artist - Title.mp4')).toBe('Artist - Title');
    expect(songFileName('Artist.stem - Title.m4a')).toBe('Artist.stem - Title');
    expect(songFileName('.stem.mp4')).toBe('.stem');
  });
});
