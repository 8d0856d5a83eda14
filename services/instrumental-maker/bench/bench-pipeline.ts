// npm run bench:pipeline [-- --songs 6 --seconds 30 --concurrency N]
// End-to-end worker throughput on 30-second songs: publish N distinct songs, run the worker until the
// queues are empty (in-process, so process start-up is not counted), and print JSON with jobs per minute
// and the share of time per stage. Run under `flock /tmp/imk-cpu.lock` (the npm script does).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@imk/log';
import { makeRoot, makeSong, publishV1 } from '../test/helpers.ts';
import { defaultConcurrency, runOnce } from '../src/index.ts';

const { values } = parseArgs({
  options: {
    songs: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '30' },
    concurrency: { type: 'string' },
  },
});
const songs = Number(values.songs);
const seconds = Number(values.seconds);
const concurrency = values.concurrency === undefined ? defaultConcurrency() : Number(values.concurrency);
const STAGES = ['decode', 'separate', 'mix', 'encode', 'manifest'] as const;

/**
 * CPU seconds used by this process and its finished children (ffmpeg), from /proc (Linux). On a shared
 * machine wall time depends on everyone else's load; CPU time per job does not.
 */
function cpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based).
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return ticks / hz;
  } catch {
    return undefined;
  }
}

const root = await makeRoot({ pollMs: 50 });
const media = await mkdtemp(join(tmpdir(), 'imk-bench-media-'));
try {
  await mkdir(media, { recursive: true });
  for (let i = 0; i < songs; i++) await makeSong(join(media, `s${i}.m4a`), seconds, 20 + i);
  for (let i = 0; i < songs; i++)
    await publishV1(
      root,
      'other',
      {
        job_id: `bench_${i}`,
        source_type: 'local',
        artist: 'Bench',
        title: `Song ${i}`,
        audio_path: 'a.m4a',
      },
      { 'a.m4a': join(media, `s${i}.m4a`) },
    );
  const load = loadavg()[0];
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const result = await runOnce({ root, logger: createLogger('bench', { level: 'warn' }), concurrency });
  const wallSec = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds();
  const cpuPerJob =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / songs;
  if (!result.ok || result.succeeded !== songs)
    throw new Error(`bench run failed: ${JSON.stringify(result)}`);

  const totals: Record<string, number> = {};
  for (const outcome of result.outcomes)
    for (const [stage, sec] of Object.entries(outcome.timings ?? {}))
      totals[stage] = (totals[stage] ?? 0) + sec;
  const all = Object.values(totals).reduce((a, b) => a + b, 0);
  const share = Object.fromEntries(
    STAGES.map((s) => [s, Math.round(((totals[s] ?? 0) / all) * 1000) / 1000]),
  );
  const other = Math.round((1 - STAGES.reduce((sum, s) => sum + (share[s] ?? 0), 0)) * 1000) / 1000;
  const perJob = Object.fromEntries(
    Object.entries(totals).map(([s, v]) => [s, Math.round((v / songs) * 100) / 100]),
  );
  console.log(
    JSON.stringify(
      {
        bench: 'pipeline',
        songs,
        song_seconds: seconds,
        concurrency,
        cores: availableParallelism(),
        engine: 'builtin',
        variants: ['instrumental', 'no_drums', 'drums_only'],
        format: 'm4a',
        wall_sec: Math.round(wallSec * 100) / 100,
        jobs_per_minute: Math.round((songs / wallSec) * 60 * 100) / 100,
        audio_realtime_factor: Math.round(((songs * seconds) / wallSec) * 100) / 100,
        stage_share: { ...share, other_stages: other },
        cpu_sec_per_job: cpuPerJob === undefined ? null : Math.round(cpuPerJob * 100) / 100,
        // What the cores could do if the worker had them to itself (shared machines run slower).
        jobs_per_minute_cpu_bound:
          cpuPerJob === undefined
            ? null
            : Math.round(((availableParallelism() * 60) / cpuPerJob) * 100) / 100,
        stage_sec_per_job: perJob,
        load_average_at_start: Math.round((load ?? 0) * 100) / 100,
      },
      null,
      2,
    ),
  );
} finally {
  await rm(root, { recursive: true, force: true });
  await rm(media, { recursive: true, force: true });
}
