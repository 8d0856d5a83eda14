import { extname } from 'node:path';
import { execa } from 'execa';
import { ImkError } from '@imk/errors';
import { inputArgs, withOpenInputs, type MediaInfo } from '@imk/media';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';

/**
 * Writes the picture embedded in a media file (its attached cover) to `targetBase` + `.jpg` (or `.png`
 * when the picture is a PNG). Returns the file written, or undefined when the file has no cover.
 */
export async function extractCover(
  file: string,
  info: MediaInfo,
  targetBase: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const stream = info.streams.find((s) => s.is_cover);
  if (!stream) return undefined;
  const target = `${targetBase}${stream.codec === 'png' ? '.png' : '.jpg'}`;
  const copy = stream.codec === 'mjpeg' || stream.codec === 'png';
  await ffmpeg(
    [
      ...inputArgs(file),
      '-map',
      `0:${stream.index}`,
      ...(copy ? ['-c', 'copy'] : []),
      '-frames:v',
      '1',
      target,
    ],
    file,
    signal,
  );
  return target;
}

/**
 * An image as JPEG: a .jpg/.jpeg file is returned as it is, anything else (YouTube's WebP thumbnails,
 * PNG, AVIF) is converted with ffmpeg to `target`, because many players and tag editors show only JPEG.
 */
export async function imageAsJpeg(source: string, target: string, signal?: AbortSignal): Promise<string> {
  const ext = extname(source).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return source;
  await ffmpeg([...inputArgs(source), '-frames:v', '1', '-q:v', '2', target], source, signal);
  return target;
}

async function ffmpeg(args: string[], file: string, signal?: AbortSignal): Promise<void> {
  const binary = await resolveTool('ffmpeg');
  // The picture's file is read from the descriptor checked and opened here, not by name (@imk/media).
  const result = await withOpenInputs(args, async (opened) => {
    const run = await trackToolGroup(
      execa(binary, ['-v', 'error', '-y', ...opened.args], {
        ...OWN_PROCESS_GROUP,
        reject: false,
        stdio: opened.stdio,
        cancelSignal: signal,
      }),
    );
    return { ...run, stderr: opened.named(run.stderr) };
  });
  if (result.isCanceled) throw new ImkError('ABORTED', `aborted while reading the picture of ${file}`);
  if (result.exitCode !== 0)
    throw new ImkError(
      'COVER_UNREADABLE',
      `could not read the picture of ${file}: ${result.stderr.trim() || `exit ${String(result.exitCode)}`}`,
    );
}
