// npm run bench:pipeline [-- --songs 6 --seconds 30 --concurrency N --both]
// End-to-end worker throughput on 30-second songs: publish N distinct songs, run the worker until the
// queues are empty (in-process, so process start-up is not counted), and print JSON with jobs per minute
// and the share of time per stage. Run under `flock /tmp/imk-cpu.lock` (the npm script does).
// --both: each song as `imk fetch --mode both` queues it, two jobs (the audio file, and a video whose
// soundtrack is that file's own encode, as YouTube's often is).
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
    both: { type: 'boolean', default: false },
  },
});
const songs = Number(values.songs);
const jobs = values.both ? songs * 2 : songs;
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
  for (let i = 0; i < songs; i++) {
    const song = { source_type: 'local', artist: 'Bench', title: `Song ${i}` };
    const audio = join(media, `s${i}.m4a`);
    if (!values.both) {
      await publishV1(
        root,
        'other',
        { ...song, job_id: `bench_${i}`, audio_path: 'a.m4a' },
        { 'a.m4a': audio },
      );
      continue;
    }
    const video = join(media, `v${i}.mp4`);
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25:duration=${seconds}`],
      ...['-i', audio, '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast'],
      ...['-pix_fmt', 'yuv420p', '-c:a', 'copy', '-shortest', video],
    ]);
    const pair = { ...song, source_type: 'youtube' };
    await publishV1(
      root,
      'youtube_audio',
      { ...pair, job_id: `yt_bench${i}_audio`, audio_path: 'a.m4a' },
      { 'a.m4a': audio },
    );
    await publishV1(
      root,
      'youtube_video',
      { ...pair, job_id: `yt_bench${i}_video`, video_path: 'v.mp4', paired_audio_job: `yt_bench${i}_audio` },
      { 'v.mp4': video },
    );
  }
  const load = loadavg()[0];
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const result = await runOnce({ root, logger: createLogger('bench', { level: 'warn' }), concurrency });
  const wallSec = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds();
  const cpuPerJob =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / jobs;
  if (!result.ok || result.succeeded !== jobs) throw new Error(`bench run failed: ${JSON.stringify(result)}`);

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
    Object.entries(totals).map(([s, v]) => [s, Math.round((v / jobs) * 100) / 100]),
  );
  console.log(
    JSON.stringify(
      {
        bench: 'pipeline',
        songs,
        jobs,
        mode_both: values.both,
        song_seconds: seconds,
        concurrency,
        cores: availableParallelism(),
        engine: 'builtin',
        variants: ['instrumental', 'no_drums', 'drums_only'],
        format: 'm4a',
        wall_sec: Math.round(wallSec * 100) / 100,
        jobs_per_minute: Math.round((jobs / wallSec) * 60 * 100) / 100,
        songs_per_minute: Math.round((songs / wallSec) * 60 * 100) / 100,
        audio_realtime_factor: Math.round(((songs * seconds) / wallSec) * 100) / 100,
        stage_share: { ...share, other_stages: other },
        cpu_sec_per_job: cpuPerJob === undefined ? null : Math.round(cpuPerJob * 100) / 100,
        cpu_sec_per_song:
          cpuPerJob === undefined ? null : Math.round(((cpuPerJob * jobs) / songs) * 100) / 100,
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
