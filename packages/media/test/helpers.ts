import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { cachedMedia } from './media-cache.ts';

/** A temp folder removed by the returned cleanup. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'imk-media-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs the system ffmpeg (tests generate their own inputs with lavfi sources). */
export async function ffmpeg(...args: string[]): Promise<void> {
  await execa('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/**
 * Writes `file` with ffmpeg from lavfi sources only (`args`: every argument but the output file); the same
 * command in another test of the run gets a copy of the first one's file (media-cache.ts).
 */
export async function generate(file: string, ...args: string[]): Promise<void> {
  await cachedMedia(args, file, (target) => ffmpeg(...args, target));
}

/** A sine tone file: `seconds` long, at `rate`, `channels`, amplitude `amplitude` (linear). */
export async function sineFile(
  file: string,
  options: {
    seconds?: number;
    rate?: number;
    channels?: number;
    frequency?: number;
    amplitude?: number;
    codec?: string[];
  } = {},
): Promise<void> {
  const { seconds = 1, rate = 44100, channels = 2, frequency = 440, amplitude = 0.5 } = options;
  const expr = `${amplitude}*sin(2*PI*${frequency}*t)`;
  const layout = Array.from({ length: channels }, () => expr).join('|');
  await generate(
    file,
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=${layout}:s=${rate}:d=${seconds}`,
    ...(options.codec ?? []),
  );
}

/** A small PNG picture (cover art). */
export async function pngFile(file: string, size = '64x64', color = 'red'): Promise<void> {
  await generate(file, '-f', 'lavfi', '-i', `color=c=${color}:s=${size}:d=1`, '-frames:v', '1');
}

/** Child processes of this process named `name` that are still alive (Linux /proc). */
export async function liveChildren(name: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Format: pid (comm) state ppid ...
    const match = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat);
    if (match && match[1] === name && match[2] !== 'Z' && Number(match[3]) === process.pid)
      pids.push(Number(entry));
  }
  return pids;
}

/** A WAV whose header ffprobe reads (2 channels, 44.1 kHz) but whose codec (tag 0x1234) no decoder knows. */
export async function writeUndecodableWav(file: string): Promise<void> {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(0x1234, 0);
  fmt.writeUInt16LE(2, 2);
  fmt.writeUInt32LE(44100, 4);
  fmt.writeUInt32LE(44100 * 4, 8);
  fmt.writeUInt16LE(4, 12);
  fmt.writeUInt16LE(16, 14);
  const chunk = (id: string, body: Buffer) => {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(body.length);
    return Buffer.concat([Buffer.from(id, 'latin1'), size, body]);
  };
  const wave = [Buffer.from('WAVE', 'latin1'), chunk('fmt ', fmt), chunk('data', Buffer.alloc(8000))];
  await writeFile(file, chunk('RIFF', Buffer.concat(wave)));
}
