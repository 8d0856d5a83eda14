import { describe, expect, it } from 'vitest';
import { formatBytes } from './bytes.ts';

describe('formatBytes', () => {
  it('names powers of 1024 as such, with at most one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(900)).toBe('900 B');
    expect(formatBytes(2048)).toBe('2 KiB');
    expect(formatBytes(1.5 * 1024 ** 2)).toBe('1.5 MiB');
    expect(formatBytes(81_525_182_464)).toBe('75.9 GiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3 TiB');
  });
});
