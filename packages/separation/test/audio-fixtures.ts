import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAudio } from '@imk/media';
import { execa } from 'execa';

/** A temp folder and its cleanup. */
export async function makeTempDir(
  prefix = 'imk-sep-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function ffmpeg(...args: string[]): Promise<void> {
  await execa('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/**
 * A music-like test signal made by ffmpeg: a centred "voice" (a vibrato tone), a chord panned left and
 * right, a bass tone and clicks, at the given rate and channel count (mono = the left channel).
 */
export async function musicLikeFile(
  file: string,
  options: { seconds: number; sampleRate?: number; channels?: 1 | 2; codec?: string[] },
): Promise<void> {
  const { seconds, sampleRate = 44100, channels = 2 } = options;
  const voice = '0.25*sin(2*PI*(330*t+4*sin(2*PI*5*t)))';
  const bass = '0.2*sin(2*PI*55*t)';
  const clicks = '0.3*exp(-40*mod(t\\,0.5))*sin(2*PI*60*t)';
  const left = `${voice}+${bass}+${clicks}+0.15*sin(2*PI*262*t)+0.1*sin(2*PI*392*t)`;
  const right = `${voice}+${bass}+${clicks}+0.15*sin(2*PI*330*t)+0.1*sin(2*PI*494*t)`;
  const exprs = channels === 1 ? left : `${left}|${right}`;
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=${exprs}:s=${sampleRate}:d=${seconds}`,
    ...(options.codec ?? []),
    file,
  );
}

/** Sample frames of a file as the engines decode it (44.1 kHz stereo). */
export async function decodedFrames(file: string): Promise<number> {
  let frames = 0;
  for await (const block of decodeAudio(file, { sampleRate: 44100, channels: 2 })) frames += block[0]!.length;
  return frames;
}
