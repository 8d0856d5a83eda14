import { graphemeCut } from './graphemes.ts';

/** Longest text taken from untrusted input into a reason file, an error message or a log line. */
export const DEFAULT_TEXT_CAP = 2000;

/** Code units looked at past the cut to see where the character at the cut ends (longer ones are left out). */
const GRAPHEME_LOOKAHEAD = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The longest start of `text` of at most `max` UTF-16 code units that ends between two characters as a
 * reader sees them (grapheme clusters): an emoji is never cut from its skin tone or its ZWJ family, a flag
 * from its second letter, a letter from its accents, and no half of a surrogate pair is left (which JSON
 * readers and terminals turn into U+FFFD or refuse). The one way text is cut for a log line, an error, a
 * reason file, a notification or a table column.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = graphemeCut(text, max, (segment) => segment.length, max + GRAPHEME_LOOKAHEAD);
  // A first "character" longer than max (a letter under hundreds of accents): cut between code points.
  if (end === 0) end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** Characters (code points) of `text` from `start`: a surrogate pair counts once. */
function codePointsFrom(text: string, start: number): number {
  let count = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * `text` cut to at most `max` UTF-16 code units on a character boundary (cutText), saying how many
 * characters were left out, so a 10 MB line in a request file never becomes a 10 MB reason file or log
 * line. The text is made well-formed (a lone surrogate in the input becomes U+FFFD), so whatever reads
 * the reason file, the log or the notification as JSON or UTF-8 gets valid text.
 */
export function capText(text: string, max = DEFAULT_TEXT_CAP): string {
  if (text.length <= max) return text.replace(LONE_SURROGATE, '\uFFFD');
  const cut = cutText(text, max);
  return `${cut.replace(LONE_SURROGATE, '\uFFFD')}… (${codePointsFrom(text, cut.length)} more characters left out)`;
}
