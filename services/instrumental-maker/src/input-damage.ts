import { decodeErrorsForEntry, decodeErrorsNaming } from '@imk/protocol';

/** ffprobe's format names of containers that state their audio's length exactly (not estimated from a bitrate). */
const EXACT_LENGTH_FORMATS = new Set(['flac', 'wav', 'w64', 'aiff', 'ogg', 'mov,mp4,m4a,3gp,3g2,mj2']);
/** How much shorter than such a length an input may decode before it is said to be cut short or damaged. */
const EXACT_LENGTH_TOLERANCE_SEC = 0.25;

export interface DecodedInput {
  /** The input's name in the bundle. */
  name: string;
  /** ffprobe's format name. */
  format: string | undefined;
  /** How long its header says it lasts (a WAV's data chunk, else ffprobe's length of its audio stream). */
  declaredSec: number;
  /** How long it decoded to. */
  decodedSec: number;
  /**
   * What ffmpeg printed while decoding it (damaged packets it skipped), in this run or kept with its stems in
   * the stem cache (there the input is said as STEM_CACHE_INPUT).
   */
  decodeErrors: readonly string[] | undefined;
  /** Its path as ffmpeg was given it: quoted as `name`, never as the path of a claimed bundle. */
  path: string;
}

/**
 * The manifest's warning for an input cut short (an interrupted download) or damaged mid-way (a corrupted
 * one): ffmpeg skips what it cannot decode and goes on, so such a file decodes, to less than its header
 * declares, or with errors; undefined for a whole one. A length the container states exactly (flac's sample
 * count, a WAV's data size, mp4's edit list, ogg's last granule) is missed by a little only; an MP3's is
 * often estimated from its bitrate, hence 1 s or 5 % there.
 */
export function damagedInputWarning(input: DecodedInput): string | undefined {
  const { name, declaredSec, decodedSec } = input;
  const tolerance = EXACT_LENGTH_FORMATS.has(input.format ?? '')
    ? EXACT_LENGTH_TOLERANCE_SEC
    : Math.max(1, declaredSec * 0.05);
  // The path, and the placeholder an entry of the stem cache keeps for another job's path, said as the name.
  const lines = decodeErrorsNaming(decodeErrorsForEntry(input.decodeErrors ?? [], input.path), name);
  const ffmpegSaid = decoderSaid(lines);
  if (declaredSec - decodedSec > tolerance)
    return `the input ${name} decodes to ${decodedSec} s of the ${declaredSec} s its header declares: it may be cut short or damaged (an interrupted or corrupted download or copy${ffmpegSaid === undefined ? '' : `; ffmpeg: ${ffmpegSaid}`}); the files last ${decodedSec} s`;
  // Damage that cost no length (a packet decoded as noise, or replaced): still not the song as it was.
  if (ffmpegSaid !== undefined)
    return `the input ${name} is damaged: ffmpeg could not decode all of it (${ffmpegSaid}); the files may have gaps or glitches there: download or copy it again`;
  return undefined;
}

/**
 * What the decoder said of the input's damaged packets, two lines at most, without the pointers ffmpeg
 * prints (`[mp3float @ 0x55…]`); undefined when it said nothing. The raw-PCM muxer's complaints about the
 * timestamps that damage leaves are left out: they say nothing of the file.
 */
function decoderSaid(lines: readonly string[]): string | undefined {
  const said = lines
    .filter((line) => !line.startsWith('[f32le'))
    .map((line) => line.replace(/ @ 0x[0-9a-f]+\]/, ']'));
  return said.length === 0 ? undefined : said.slice(0, 2).join(' | ');
}
