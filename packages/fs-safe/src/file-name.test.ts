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

  it('stays within 255 bytes including the suffix, cutting on a character boundary', () => {
    const name = safeFileName('日本語'.repeat(100), ' (no drum).m4a');
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith(' (no drum).m4a')).toBe(true);
    expect(name).not.toContain('\uFFFD');
  });
});
