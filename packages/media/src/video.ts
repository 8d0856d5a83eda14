import { inputArgs } from './input-args.ts';
import { ImkError } from '@imk/errors';
import { probeMedia } from './probe.ts';
import { runFfmpeg, withinOption } from './ffmpeg-run.ts';
import { withTempOutput } from './temp-output.ts';
import { DEFAULT_BITRATE } from './encode.ts';
import { encodeWithinCeiling, measureSamplePeak, type ClipGuard } from './clip-guard.ts';
import './errors.ts';
import type { Within } from './untrusted-inputs.ts';

export interface ReplaceVideoAudioOptions {
  /** The source video; its picture is copied as it is (never re-encoded). */
  video: string;
  /** The new sound track (any audio file ffmpeg reads). */
  audio: string;
  /** The mp4 to write; written under a temp name beside it and renamed when ffmpeg succeeded. */
  output: string;
  /** AAC bitrate of the new audio. @default DEFAULT_BITRATE.m4a */
  bitrate?: string;
  /** Turn the sound down by one constant gain, just enough, when its peak would clip (as encodeAudio's). */
  avoidClipping?: boolean;
  /**
   * The folder someone else writes that `video` (or `audio`) comes from (a job's bundle): held inside it
   * when ffprobe and ffmpeg open it (see OpenInputsOptions), so a folder on its path swapped for a link to
   * a video elsewhere is refused, not published under the new sound.
   */
  within?: Within;
  signal?: AbortSignal;
}

export interface ReplaceVideoAudioResult {
  /** Set when `avoidClipping` turned the sound down. */
  clipGuard?: ClipGuard;
}

/**
 * Writes `output` (mp4) with the first real video stream of `video` copied bit for bit and `audio` encoded to
 * AAC as its only sound track. The video's container tags are kept.
 */
export async function replaceVideoAudio(options: ReplaceVideoAudioOptions): Promise<ReplaceVideoAudioResult> {
  const { video, audio, output, signal } = options;
  const within = withinOption(options.within);
  const videoInfo = await probeMedia(video, { requireAudio: false, signal, ...within });
  if (videoInfo.video === undefined) {
    throw new ImkError('MEDIA_NO_VIDEO', `${video} has no video stream to put the new audio under`, {
      details: { file: video },
    });
  }
  const audioInfo = await probeMedia(audio, { signal, ...within });
  const peak = options.avoidClipping === true ? await measureSamplePeak(audio, { signal, ...within }) : 0;
  let clipGuard: ClipGuard | undefined;
  await withTempOutput(output, async (temp) => {
    const run = async (gain: number | undefined): Promise<string> => {
      const args = [...inputArgs(video), ...inputArgs(audio)];
      // 0:V (capital) skips attached pictures; only the real picture stream is kept.
      args.push('-map', '0:V:0', '-map', '1:a:0', '-map_metadata', '0', '-map_chapters', '-1');
      if (gain !== undefined) args.push('-af', `volume=${gain}`);
      args.push('-c:v', 'copy', '-c:a', 'aac', '-b:a', options.bitrate ?? DEFAULT_BITRATE.m4a);
      args.push('-ac', String(audioInfo.audio?.channels ?? 2), '-movflags', '+faststart', '-f', 'mp4', temp);
      await runFfmpeg(args, { signal, what: `putting the audio of ${audio} into ${video}`, ...within });
      return temp;
    };
    if (options.avoidClipping === true)
      clipGuard = await encodeWithinCeiling(peak, 'm4a', undefined, run, signal);
    else await run(undefined);
  });
  return clipGuard === undefined ? {} : { clipGuard };
}
