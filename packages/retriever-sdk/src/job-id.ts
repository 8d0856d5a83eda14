import { createHash } from 'node:crypto';

const UNSAFE = /[^A-Za-z0-9._-]+/g;
const MAX_PART = 80;

/**
 * Turns any text (a video id, a file name, an ISRC) into a piece of a job id: letters, digits, ".", "_"
 * and "-" only. Text that had to be changed gets a short hash suffix, so two different inputs never end
 * up with the same id ("a/b" and "a_b" stay distinct).
 */
export function jobIdPart(text: string): string {
  const cleaned = text
    .normalize('NFKD')
    .replace(UNSAFE, '_')
    .replace(/^[._]+/, '')
    .replace(/_+$/, '');
  const changed = cleaned !== text || cleaned.length > MAX_PART;
  const base = (cleaned || 'x').slice(0, MAX_PART);
  if (!changed) return base;
  return `${base}_${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

/** `makeJobId('yt', 'dQw4w9WgXcQ', 'audio')` -> `yt_dQw4w9WgXcQ_audio`; each part is made safe. */
export function makeJobId(...parts: string[]): string {
  return parts.map(jobIdPart).join('_');
}
