/**
 * A list's items as a message says them: `m4a, mp3, flac or wav`. Messages and help texts that name every
 * item of a list take them from the list (`orList(AUDIO_FORMATS)`), so a new item is named the day it is added.
 */
export const orList = (items: readonly (string | number)[]): string => joined(items, 'or');

/** The same with "and": `track, album and playlist`. */
export const andList = (items: readonly (string | number)[]): string => joined(items, 'and');

const joined = (items: readonly (string | number)[], last: string): string =>
  items.length < 2
    ? items.map(String).join('')
    : `${items.slice(0, -1).join(', ')} ${last} ${String(items.at(-1))}`;
