import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from '@imk/media';

export type PreviewKind = 'waveform' | 'spectrogram';
export const PREVIEW_KINDS: readonly PreviewKind[] = ['waveform', 'spectrogram'];
const PREVIEW_VERSION = 2;

export interface PreviewOptions {
  /** The audio (or video) file. */
  input: string;
  kind: PreviewKind;
  /** Cache folder, e.g. `<state>/cache/previews`. */
  cacheDir: string;
  /** Identifies the content: the artifact's sha256 when known, else its size and mtime. */
  key: string;
  width: number;
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
  if (
    await stat(file).then(
      () => true,
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
          '-i',
          options.input,
          '-filter_complex',
          filterFor(options.kind, options.width),
          '-frames:v',
          '1',
          temp,
        ],
        { what: `drawing the ${options.kind} of ${options.input}`, signal: options.signal },
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
