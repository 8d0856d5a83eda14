import { probeMedia } from '../probe.ts';
import { runFfmpeg, withinOption } from '../ffmpeg-run.ts';
import { inputArgs } from '../input-args.ts';
import { withTempOutput } from '../temp-output.ts';
import { coverArgs, metadataArgs } from '../encode-args.ts';
import type { AudioTags } from '../encode-args.ts';
import { DEFAULT_BITRATE } from '../encode.ts';
import { measureSamplePeak } from '../clip-guard.ts';
import {
  DEFAULT_STEM_LOOK,
  STEM_MP4_ORDER,
  defaultStemManifest,
  parseStemManifest,
} from './stem-manifest.ts';
import type { StemManifest, StemManifestStem, StemMp4Stem } from './stem-manifest.ts';
import { putUdtaBox, readUdtaBox } from './udta-box.ts';
import type { Within } from '../untrusted-inputs.ts';

export interface WriteStemMp4Options {
  /** The .stem.mp4 to write; written under a temp name beside it and renamed when complete. */
  output: string;
  /** Audio files (any format ffmpeg reads), encoded in the order mixture, drums, bass, other, vocals. */
  streams: Record<'mixture' | StemMp4Stem, string>;
  tags?: AudioTags;
  /** Image embedded as cover art. */
  cover?: string;
  /** AAC bitrate of each stream. @default DEFAULT_BITRATE.m4a */
  bitrate?: string;
  /** Names and colours shown by DJ software. @default Drums, Bass, Other, Vocals in Mixxx's colours */
  look?: Partial<Record<StemMp4Stem, StemManifestStem>>;
  /**
   * A constant gain (linear) applied to all five streams alike (so that the stems still sum to the
   * mixture), decided with the job's other kept stems by encodeGroupWithinCeiling. @default none
   */
  gain?: number;
  /**
   * The folder someone else writes that a stream or the cover may come from (the mixture and cover of a
   * job's bundle): held inside it when opened (see OpenInputsOptions).
   */
  within?: Within;
  signal?: AbortSignal;
}

/** The file is written at this rate. */
const STEM_MP4_RATE = 44100;
/** Audio streams in a stem file: the mixture and four stems. */
export const STEM_MP4_STREAMS = 1 + STEM_MP4_ORDER.length;

/** The highest sample peak (linear) writeStemMp4 would hand the AAC encoder for these streams, before any gain. */
export async function stemMp4Peak(
  streams: WriteStemMp4Options['streams'],
  signal?: AbortSignal,
  /** See WriteStemMp4Options.within. */
  within?: Within,
): Promise<number> {
  let peak = 0;
  for (const name of ['mixture', ...STEM_MP4_ORDER] as const) {
    const filters = [`aresample=${STEM_MP4_RATE}`];
    const options = { filters, signal, ...withinOption(within) };
    peak = Math.max(peak, await measureSamplePeak(streams[name], options));
  }
  return peak;
}

export const STEM_BOX_TYPE = 'stem';

/**
 * Writes a Native Instruments Stems file: one mp4 with five AAC streams (mixture, drums, bass, other,
 * vocals; only the mixture enabled, so ordinary players play the song) and NI's `stem` manifest box in
 * moov/udta, which ffmpeg cannot write and is added here by editing the MP4 boxes.
 */
export async function writeStemMp4(options: WriteStemMp4Options): Promise<void> {
  const { output, streams, signal } = options;
  const within = withinOption(options.within);
  const order = ['mixture', ...STEM_MP4_ORDER] as const;
  for (const name of order) await probeMedia(streams[name], { signal, ...within });
  const cover =
    options.cover === undefined ? undefined : await coverArgs(options.cover, 'mp4', order.length, within);
  const manifest = defaultStemManifest(STEM_MP4_ORDER.map((s) => options.look?.[s] ?? DEFAULT_STEM_LOOK[s]));
  await withTempOutput(output, async (temp) => {
    const args: string[] = [];
    // Through inputArgs, as every input: the mixture is the job's own file (protocols and demuxers limited,
    // read from the descriptor checked and opened by runFfmpeg, not by name).
    for (const name of order) args.push(...inputArgs(streams[name]));
    args.push(...(cover?.inputArgs ?? []));
    order.forEach((_, i) => args.push('-map', `${i}:a:0`));
    args.push(
      ...(cover?.mapArgs ?? []),
      '-map_metadata',
      '-1',
      '-map_chapters',
      '-1',
      ...metadataArgs(options.tags),
    );
    // -af applies to each audio stream on its own: one gain for all five.
    if (options.gain !== undefined) args.push('-af', `volume=${options.gain}`);
    args.push('-c:a', 'aac', '-b:a', options.bitrate ?? DEFAULT_BITRATE.m4a, '-ac', '2');
    args.push('-ar', String(STEM_MP4_RATE));
    order.forEach((name, i) => {
      args.push(
        `-disposition:a:${i}`,
        i === 0 ? 'default' : '0',
        `-metadata:s:a:${i}`,
        `handler_name=${title(name)}`,
      );
    });
    args.push(...(cover?.codecArgs ?? []));
    // No +faststart: moov stays after mdat, so growing it moves no sample data (putUdtaBox handles both anyway).
    args.push('-f', 'mp4', temp);
    await runFfmpeg(args, { signal, what: `writing the stem file ${output}`, ...within });
    await putUdtaBox(temp, STEM_BOX_TYPE, Buffer.from(JSON.stringify(manifest), 'utf8'));
  });
}

/** Reads the NI `stem` manifest of a stem file, or undefined when it has none. */
export async function readStemManifest(file: string): Promise<StemManifest | undefined> {
  const payload = await readUdtaBox(file, STEM_BOX_TYPE);
  return payload === undefined ? undefined : parseStemManifest(payload, file);
}

function title(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
