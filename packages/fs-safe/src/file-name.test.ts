import { describe, expect, it } from 'vitest';
import { safeFileName } from './file-name.ts';

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
