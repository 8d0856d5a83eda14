import { lstat, mkdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inputArgs, runFfmpeg } from '@imk/media';

export type PreviewKind = 'waveform' | 'spectrogram';
export const PREVIEW_KINDS: readonly PreviewKind[] = ['waveform', 'spectrogram'];
const PREVIEW_VERSION = 2;

export interface PreviewOptions {
  /** The audio (or video) file, already known to be a regular file inside its job folder. */
  input: string;
  /**
   * `input` opened (web's openArtifact): ffmpeg reads that descriptor, not the name, so a job folder moved
   * aside and published again between the check and the render (a mix of it saved) is drawn all the same.
   */
  opened: FileHandle;
  kind: PreviewKind;
  /** Cache folder, e.g. `<state>/cache/previews`. */
  cacheDir: string;
  /**
   * Identifies the file itself (device, inode, size, mtime, as found when it was checked), never a value
   * from the manifest: a sha256 the manifest claims would make a different file share this render.
   */
  key: string;
  width: number;
  /** ffmpeg is stopped past this time and the render fails (FFMPEG_TIMED_OUT). */
  timeoutMs: number;
  /** Aborted when the server closes: a running ffmpeg is stopped, not left behind. */
  signal?: AbortSignal;
}

const inFlight = new Map<string, Promise<string>>();

function filterFor(kind: PreviewKind, width: number): string {
  switch (kind) {
    case 'waveform':
      return `aformat=channel_layouts=mono,showwavespic=s=${width}x120:colors=0x4f9dff:filter=peak`;
    case 'spectrogram':
      return `showspectrumpic=s=${width}x256:legend=0:scale=log:color=intensity`;
  }
}

/**
 * Renders a waveform or spectrogram PNG with ffmpeg (showwavespic / showspectrumpic) once per content
 * and size, and returns the cached file. Concurrent requests for the same image share one render.
 */
export async function renderPreview(options: PreviewOptions): Promise<string> {
  const safeKey = options.key.replace(/[^A-Za-z0-9._-]/g, '_');
  // The version part changes whenever the drawing changes, so old cached images are not served.
  const file = join(options.cacheDir, `${safeKey}-${options.kind}-${options.width}-v${PREVIEW_VERSION}.png`);
  // Only a regular file is a cached image (lstat): a link put in its place, to a file elsewhere (a token in
  // state/), was served as the preview, and a FIFO hung the request. Anything else is drawn again, and the
  // rename below replaces the link or FIFO itself (never what it leads to).
  if (
    await lstat(file).then(
      (info) => info.isFile(),
      () => false,
    )
  )
    return file;
  const running = inFlight.get(file);
  if (running) return running;
  const render = (async () => {
    await mkdir(options.cacheDir, { recursive: true });
    const temp = `${file}.${process.pid}.${Date.now()}.tmp.png`;
    try {
      await runFfmpeg(
        [
          // The file and pipe protocols and self-contained formats only: an HLS playlist or an ffconcat
          // list named like an artifact would make ffmpeg read files outside outputs/.
          ...inputArgs(options.input),
          '-filter_complex',
          filterFor(options.kind, options.width),
          '-frames:v',
          '1',
          temp,
        ],
        {
          what: `drawing the ${options.kind} of ${options.input}`,
          within: { dir: dirname(options.input), opened: new Map([[options.input, options.opened]]) },
          signal: options.signal,
          timeoutMs: options.timeoutMs,
        },
      );
      await rename(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
    return file;
  })();
  inFlight.set(file, render);
  try {
    return await render;
  } finally {
    inFlight.delete(file);
  }
}
