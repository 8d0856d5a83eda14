/** Longest text taken from untrusted input into a reason file, an error message or a log line. */
export const DEFAULT_TEXT_CAP = 2000;

/**
 * `text` cut to at most `max` characters (on a character boundary), saying how much was left out, so a
 * 10 MB line in a request file never becomes a 10 MB reason file or log line.
 */
export function capText(text: string, max = DEFAULT_TEXT_CAP): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  // Do not end on half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}… (${text.length - cut.length} more characters left out)`;
}
