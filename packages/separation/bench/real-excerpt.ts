// Loads the MUSDB18 sample excerpt (read in place from ../shared/eval, never copied) as planar float32.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { PcmChannels } from '../src/engine.ts';

export const REAL_EXCERPT = fileURLToPath(
  new URL('../../../../shared/eval/musdb18-sample/Music Delta - 80s Rock.stem.mp4', import.meta.url),
);

/** Stream order inside the .stem.mp4. */
export const EXCERPT_STREAMS = { mixture: 0, drums: 1, bass: 2, other: 3, vocals: 4 } as const;
export type ExcerptPart = keyof typeof EXCERPT_STREAMS;

export async function decodeStream(path: string, stream: number): Promise<PcmChannels> {
  const { stdout } = await execa(
    'ffmpeg',
    [
      '-nostdin',
      '-v',
      'error',
      '-i',
      path,
      '-map',
      `0:${stream}`,
      '-f',
      'f32le',
      '-ac',
      '2',
      '-ar',
      '44100',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  );
  const interleaved = new Float32Array(stdout.buffer, stdout.byteOffset, stdout.byteLength / 4);
  const frames = interleaved.length / 2;
  const left = new Float32Array(frames);
  const right = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = interleaved[2 * i]!;
    right[i] = interleaved[2 * i + 1]!;
  }
  return [left, right];
}

export async function loadExcerpt(path = REAL_EXCERPT): Promise<Record<ExcerptPart, PcmChannels>> {
  if (!existsSync(path)) throw new Error(`real excerpt not found at ${path}`);
  const entries = await Promise.all(
    Object.entries(EXCERPT_STREAMS).map(
      async ([name, index]) => [name, await decodeStream(path, index)] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<ExcerptPart, PcmChannels>;
}
