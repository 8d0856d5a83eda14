import { createHash } from 'node:crypto';
import transliterate from '@sindresorhus/transliterate';
import { JOB_ID_MAX_LENGTH } from '@imk/protocol';

const UNSAFE = /[^A-Za-z0-9._-]+/g;
const MAX_PART = 80;

/**
 * Any text as a readable name of letters, digits, ".", "_" and "-": accents are dropped ("Björk" ->
 * "Bjork", "Ünïcode" -> "Unicode"), other scripts' letters are written in Latin ones ("Кино" -> "Kino",
 * "Straße" -> "Strasse", "Mø" -> "Mo"), and every other run of characters becomes one "_". Leading dots and
 * underscores and trailing underscores are dropped; at most `max` characters. Empty when nothing is left
 * (a title only in a script with no Latin spelling, such as Japanese).
 */
export function readableName(text: string, max = MAX_PART): string {
  // Combining marks first, so that an accented letter keeps its plain letter ("ö" -> "o", not "oe").
  const plain = transliterate(text.normalize('NFKD').replace(/\p{M}+/gu, ''));
  return plain
    .replace(UNSAFE, '_')
    .replace(/^[._]+/, '')
    .replace(/_+$/, '')
    .slice(0, max)
    .replace(/[._]+$/, '');
}

/**
 * Turns any text (a video id, a file name, an ISRC) into a piece of a job id (see readableName). Text that
 * had to be changed gets a short hash suffix, so two different inputs never end up with the same id
 * ("a/b" and "a_b" stay distinct, and so do two Japanese titles).
 */
export function jobIdPart(text: string): string {
  const cleaned = readableName(text, Infinity);
  const changed = cleaned !== text || cleaned.length > MAX_PART;
  const base = (cleaned || 'x').slice(0, MAX_PART);
  if (!changed) return base;
  return `${base}_${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

/**
 * `makeJobId('yt', 'dQw4w9WgXcQ', 'audio')` -> `yt_dQw4w9WgXcQ_audio`; each part is made safe, and the
 * whole is always a valid job id: one too long, or ending in ".tmp" (the queue's name for an unfinished
 * bundle), is cut and given a hash of all the parts.
 */
export function makeJobId(...parts: string[]): string {
  const id = parts.map(jobIdPart).join('_');
  if (id.length <= JOB_ID_MAX_LENGTH && !id.endsWith('.tmp')) return id;
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 8);
  return `${id.slice(0, JOB_ID_MAX_LENGTH - hash.length - 1)}_${hash}`;
}
