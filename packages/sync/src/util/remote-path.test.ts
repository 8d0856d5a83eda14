import { posix } from 'node:path';
import { expect, it } from 'vitest';
import { tempPathFor } from './remote-path.ts';

const SHA = 'c5a42c550ff1'.padEnd(64, '0');
const bytes = (path: string) => Buffer.byteLength(posix.basename(path));

it('keeps a short temporary name whole: hidden, beside the file, named by the content', () => {
  expect(tempPathFor('/nas/Music/Art - Song.m4a', SHA, 143)).toBe(
    '/nas/Music/.Art - Song.m4a.c5a42c550ff1.imk-tmp',
  );
});

it('fits a temporary name in the backend limit, and keeps long names that differ only at the end apart', () => {
  const title = '夜'.repeat(40);
  const a = tempPathFor(`/nas/${title} (instrumental).m4a`, SHA, 143);
  const b = tempPathFor(`/nas/${title} (no_drums).m4a`, SHA, 143);
  expect(bytes(a)).toBeLessThanOrEqual(143);
  expect(bytes(b)).toBeLessThanOrEqual(143);
  expect(a).not.toBe(b);
  expect(posix.dirname(a)).toBe('/nas');
  expect(a.endsWith('.c5a42c550ff1.imk-tmp')).toBe(true);
  // The same name and content always give the same temporary name (a retry overwrites its partial).
  expect(tempPathFor(`/nas/${title} (instrumental).m4a`, SHA, 143)).toBe(a);
  expect(bytes(tempPathFor(`/nas/${'a'.repeat(250)}.m4a`, SHA, 255))).toBeLessThanOrEqual(255);
});
