import { ImkError } from '@imk/errors';
import './errors.ts';

/**
 * How far apart in length (seconds) the files of one song (its stems, its mixture) may be and still be cut
 * to the shortest: separate AAC streams and resampling add or drop a few milliseconds. A wider gap is a
 * file cut short (a copy that did not finish) or a file of another song, never rounding.
 */
export const STEM_LENGTH_SLACK_SEC = 0.1;

/** One file of a song: how it is named in messages, and its length in sample frames. */
export interface SongFileLength {
  file: string;
  frames: number;
}

/**
 * The length the files of `song` are cut to (the shortest, in frames at `sampleRate`), or
 * ImkError('STEM_LENGTHS_DIFFER') naming each file shorter than the longest by more than
 * STEM_LENGTH_SLACK_SEC, and the longest: cut to the shortest, a stem that ends early made the whole
 * song's mix (or score) end there, and nothing said so.
 */
export function commonStemLength(song: string, files: readonly SongFileLength[], sampleRate: number): number {
  const longest = files.reduce<SongFileLength | undefined>(
    (a, b) => (a && a.frames >= b.frames ? a : b),
    undefined,
  );
  if (longest === undefined) return 0;
  const slack = STEM_LENGTH_SLACK_SEC * sampleRate;
  const short = files.filter((f) => longest.frames - f.frames > slack);
  if (short.length > 0) {
    const seconds = (frames: number) => `${(frames / sampleRate).toFixed(2)} s`;
    const list = short.map((f) => `${f.file} (${seconds(f.frames)})`).join(', ');
    throw new ImkError(
      'STEM_LENGTHS_DIFFER',
      `${song}: ${list} ${short.length === 1 ? 'is' : 'are'} shorter than ${longest.file} (${seconds(longest.frames)}) by more than ${STEM_LENGTH_SLACK_SEC} s: a file cut short (a copy that did not finish?) or one of another song; the files of one song must be of one length`,
      { details: { song, files: files.map((f) => ({ file: f.file, seconds: f.frames / sampleRate })) } },
    );
  }
  return Math.min(...files.map((f) => f.frames));
}
