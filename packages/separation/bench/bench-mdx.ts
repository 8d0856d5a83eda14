// npm run bench:mdx — the mdx engine's own overhead (issue 14: decoding, STFT, chunking, inverse STFT and
// overlap-add; target >= 30x realtime on one core) and ONNX Runtime's share of the time, with an identity
// graph at UVR's usual sizes (n_fft 6144, dim_f 3072, dim_t 256), so the model itself costs next to
// nothing and what is left is the engine. Runs pinned to one core (`taskset -c 0`, when present) with one
// ORT thread. ONNX Runtime's time includes handing each chunk to the session's own thread and back (a copy each
// way, see src/mdx/ort-thread.ts). Prints one JSON document.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { decodeAudio, runFfmpeg } from '@imk/media';
import type { PcmChannels } from '../src/engine.ts';
import { createChunkSpectrogram } from '../src/mdx/chunk-spectrogram.ts';
import { createMdxDemixer } from '../src/mdx/demixer.ts';
import { MDX_HOP, resolveMdxModelParams } from '../src/mdx/model-params.ts';
import { acquireMdxSession } from '../src/mdx/session-pool.ts';
import { identityGraph, writeModel } from '../test/mdx-graphs.ts';

const TARGET_REALTIME_FACTOR = 30;
const SECONDS = 120;
const SHAPE = { nFft: 6144, dimF: 3072, dimT: 256 };

if (process.env.IMK_BENCH_MDX_CHILD === undefined) {
  const pinned = await execa('taskset', ['-c', '0', 'true'], { reject: false }).then((r) => r.exitCode === 0);
  const self = fileURLToPath(import.meta.url);
  const args = ['--import', 'tsx', self];
  const child = await execa(
    pinned ? 'taskset' : process.execPath,
    pinned ? ['-c', '0', process.execPath, ...args] : args,
    {
      env: { IMK_BENCH_MDX_CHILD: pinned ? 'pinned' : 'unpinned' },
      stdio: 'inherit',
      reject: false,
    },
  );
  process.exit(child.exitCode ?? 1);
}

const work = await mkdtemp(join(tmpdir(), 'imk-bench-mdx-'));
try {
  const input = join(work, 'music.wav');
  const voice = '0.25*sin(2*PI*(330*t+4*sin(2*PI*5*t)))';
  const rest = '0.2*sin(2*PI*55*t)+0.15*sin(2*PI*262*t)+0.05*random(0)';
  await runFfmpeg(
    [
      '-f',
      'lavfi',
      '-i',
      `aevalsrc=${voice}+${rest}|${voice}+${rest}:s=44100:d=${SECONDS}`,
      '-c:a',
      'pcm_s16le',
      input,
    ],
    {
      what: 'making the bench input',
    },
  );
  const model = await writeModel(join(work, 'identity.onnx'), identityGraph(SHAPE), {
    ...SHAPE,
    primaryStem: 'Vocals',
  });
  const params = await resolveMdxModelParams(model);
  const { session } = await acquireMdxSession(model, params, { threads: 1, executionProviders: ['cpu'] });

  let t = performance.now();
  const blocks: PcmChannels[] = [];
  for await (const block of decodeAudio(input, { sampleRate: 44100, channels: 2, blockFrames: 65536 }))
    blocks.push(block);
  const decodeSeconds = (performance.now() - t) / 1000;

  let ortSeconds = 0;
  let ortCpuSeconds = 0;
  let runs = 0;
  const demixer = createMdxDemixer({
    spectrogram: createChunkSpectrogram(params.nFft, MDX_HOP, params.dimF, params.dimT),
    run: async (tensor, batch) => {
      const start = performance.now();
      const before = process.cpuUsage();
      const out = await session.run(tensor, batch);
      const spent = process.cpuUsage(before);
      ortCpuSeconds += (spent.user + spent.system) / 1e6;
      ortSeconds += (performance.now() - start) / 1000;
      runs++;
      return out;
    },
    overlap: 'default',
    batchSize: 1,
    denoise: false,
    compensate: params.compensate,
  });
  t = performance.now();
  const cpu = process.cpuUsage();
  let frames = 0;
  for (const block of blocks) frames += (await demixer.push(block))?.[0]?.length ?? 0;
  frames += (await demixer.flush())[0]!.length;
  const demixSeconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  // On a shared machine the wall clock includes waiting for the core; CPU time is this process's own work.
  const demixCpuSeconds = (used.user + used.system) / 1e6;
  const audioSeconds = frames / 44100;
  const overheadSeconds = demixSeconds - ortSeconds + decodeSeconds;
  const realtimeFactor = audioSeconds / overheadSeconds;
  console.log(
    JSON.stringify(
      {
        bench: 'mdx',
        model: {
          graph: 'identity',
          n_fft: params.nFft,
          dim_f: params.dimF,
          dim_t: params.dimT,
          ort_threads: 1,
        },
        pinned_to_one_core: process.env.IMK_BENCH_MDX_CHILD === 'pinned',
        audio_seconds: audioSeconds,
        chunks: runs,
        decode_seconds: round(decodeSeconds),
        demix_seconds: round(demixSeconds),
        ort_seconds: round(ortSeconds),
        engine_overhead_seconds: round(overheadSeconds),
        engine_overhead_realtime_factor: round(realtimeFactor),
        ort_share_of_time: round(ortSeconds / (demixSeconds + decodeSeconds)),
        demix_cpu_seconds: round(demixCpuSeconds),
        ort_cpu_seconds: round(ortCpuSeconds),
        // STFT, chunking, inverse STFT and overlap-add, in CPU time (the decode is ffmpeg's, counted above).
        demix_overhead_cpu_seconds: round(demixCpuSeconds - ortCpuSeconds),
        demix_overhead_realtime_factor_cpu: round(audioSeconds / (demixCpuSeconds - ortCpuSeconds)),
        ort_share_of_cpu: round(ortCpuSeconds / demixCpuSeconds),
        target_realtime_factor_min: TARGET_REALTIME_FACTOR,
        meets_target_wall: realtimeFactor >= TARGET_REALTIME_FACTOR,
        meets_target_cpu: audioSeconds / (demixCpuSeconds - ortCpuSeconds) >= TARGET_REALTIME_FACTOR,
        load_average: loadavg().map(round),
      },
      null,
      2,
    ),
  );
} finally {
  await rm(work, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
