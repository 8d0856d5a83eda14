// node --import tsx packages/media/bench/aac-coder-snr.ts [-- --bitrate 256k]
// Is ffmpeg's `-aac_coder fast` (2.4x faster) as good as the default `twoloop` at our bitrate? Encodes the
// MUSDB18 excerpt (mixture and vocals) with both coders and prints, as JSON, the SNR of each decoded
// result against the float source, and the CPU seconds each encode took. Run under `flock /tmp/imk-cpu.lock`.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { readAudio } from '../src/index.ts';
import { resolveTool } from '@imk/tools';

const { values } = parseArgs({ options: { bitrate: { type: 'string', default: '256k' } } });
// The real excerpt: $IMK_EVAL_DIR, else ../shared/eval beside the repository (as `imk eval` looks).
const EVAL_DIR =
  process.env.IMK_EVAL_DIR ?? fileURLToPath(new URL('../../../../shared/eval', import.meta.url));
const EXCERPT = join(EVAL_DIR, 'musdb18-sample', 'Music Delta - 80s Rock.stem.mp4');
if (!existsSync(EXCERPT))
  throw new Error(`${EXCERPT} not found; set IMK_EVAL_DIR to the folder holding musdb18-sample/`);
const STREAMS = { mixture: 0, vocals: 4 } as const;
const CODERS = ['twoloop', 'fast'] as const;

/** 10·log10(Σ s² / Σ (s − x)²) over both channels (ffmpeg's decoder removes the AAC priming delay). */
function snrDb(source: Float32Array[], decoded: Float32Array[]): number {
  let signal = 0;
  let noise = 0;
  for (let c = 0; c < source.length; c++) {
    const s = source[c]!;
    const x = decoded[c]!;
    for (let i = 0; i < Math.min(s.length, x.length); i++) {
      signal += s[i]! * s[i]!;
      noise += (s[i]! - x[i]!) ** 2;
    }
  }
  return Math.round(10 * Math.log10(signal / noise) * 100) / 100;
}

/** CPU seconds of this process's finished children (Linux /proc: cutime + cstime). */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name, cutime and cstime are fields 16 and 17 (1-based); clock ticks of 1/100 s.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

const ffmpeg = await resolveTool('ffmpeg');
const dir = await mkdtemp(join(tmpdir(), 'imk-aac-snr-'));
try {
  const results: Record<string, Record<string, { snr_db: number; cpu_sec: number }>> = {};
  for (const [name, index] of Object.entries(STREAMS)) {
    const source = join(dir, `${name}.wav`);
    await execa(ffmpeg, [
      '-v',
      'error',
      '-y',
      '-i',
      EXCERPT,
      '-map',
      `0:${index}`,
      '-c:a',
      'pcm_f32le',
      source,
    ]);
    const reference = await readAudio(source);
    results[name] = {};
    for (const coder of CODERS) {
      const out = join(dir, `${name}-${coder}.m4a`);
      const args = ['-v', 'error', '-y', '-i', source, '-c:a', 'aac', '-aac_coder', coder];
      const before = childCpuSeconds();
      await execa(ffmpeg, [...args, '-b:a', values.bitrate, out]);
      const cpu = childCpuSeconds() - before;
      const decoded = await readAudio(out);
      results[name][coder] = {
        snr_db: snrDb(reference.channels, decoded.channels),
        cpu_sec: Math.round(cpu * 100) / 100,
      };
    }
  }
  console.log(JSON.stringify({ bench: 'aac-coder-snr', bitrate: values.bitrate, results }, null, 2));
} finally {
  await rm(dir, { recursive: true, force: true });
}
