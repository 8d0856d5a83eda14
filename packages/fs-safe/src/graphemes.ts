const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Where to cut `text` so that it keeps whole grapheme clusters (what a reader sees as one character) whose
 * sizes, as `size` measures them (UTF-8 bytes for a file name, UTF-16 code units for a message), add up to
 * at most `max`: the code-unit index of the end of the last cluster kept, 0 when the first alone is larger.
 * Only the first `scan` code units are segmented (a cluster running past them is left out), so a cut near
 * the start of a 10 MB line does not segment all of it. The one grapheme cutter of fitBytes and cutText.
 */
export function graphemeCut(
  text: string,
  max: number,
  size: (segment: string) => number,
  scan = text.length,
): number {
  let total = 0;
  let end = 0;
  for (const { segment } of GRAPHEMES.segment(scan < text.length ? text.slice(0, scan) : text)) {
    total += size(segment);
    if (total > max) break;
    end += segment.length;
  }
  return end;
}
