// Child process of bench-separate.ts (and of the long-input test): separates one file with the builtin
// engine and prints one JSON line with the wall time of the separation and this process's peak RSS.
// Run alone so that its peak RSS is the engine's, not the parent's:
// `node --import tsx separate-child.ts <input> <workDir> ['{"param": value}']` (the engine's parameters, defaults when absent).
import { createBuiltinEngine } from '../src/engines/builtin.ts';
import type { BuiltinParams } from '../src/builtin/index.ts';

const [input, workDir, paramsJson] = process.argv.slice(2);
if (input === undefined || workDir === undefined) {
  process.stderr.write('usage: separate-child.ts <input> <workDir> [params JSON]\n');
  process.exit(2);
}
const engine = createBuiltinEngine(JSON.parse(paramsJson ?? '{}') as Partial<BuiltinParams>);
const started = performance.now();
const cpuBefore = process.cpuUsage();
const result = await engine.separate({ input, workDir });
const wallSeconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// CPU time of this process (the DSP); ffmpeg's decoding runs in its own process and is not included.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const audioSeconds = result.frames / result.sampleRate;
process.stdout.write(
  `${JSON.stringify({
    audio_seconds: audioSeconds,
    wall_seconds: wallSeconds,
    realtime_factor: audioSeconds / wallSeconds,
    cpu_seconds: cpuSeconds,
    realtime_factor_cpu: audioSeconds / cpuSeconds,
    // resourceUsage().maxRSS is in kilobytes (getrusage ru_maxrss).
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
