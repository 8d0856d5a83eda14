// ONNX Runtime sessions and execution providers, as a user running a GPU (or a worker for weeks) meets them:
// - a model replaced while the worker ran got a new engine, and the old engine's session stayed open for the
//   life of the process (its native memory with it); a model refused after it opened (wrong shape) left its
//   session behind on every job that tried it. An engine now lets go of its session when closed (a song
//   still running on it keeps it until it ends), and a refused model's session is released at once;
// - a GPU running out of memory on a chunk failed the job, though [cuda, cpu] lists the CPU after it: the
//   rest of the job now runs on the next provider, said in the log and in the result's warnings (the
//   manifest); with nothing after it, the job fails as before;
// - after such a move, the next job started on the GPU again and failed over at the same point, costing time
//   on every job; the engine (the worker's, for its life) now sets the provider aside, says so once in the
//   log and in each job's warnings with how to try it again (restart the worker);
// - a provider name ONNX Runtime does not have (warp-drive) reached ORT, which printed its own "removing
//   requested execution provider" line on the terminal; it is now set aside by us, in our words;
// - UVR's Volume Compensation (a number instead of the model's own compensate) could not be set.
// This machine has no GPU: a stand-in provider ("gpu-sim"), made through the engine's injectable session
// factory, runs on ONNX Runtime's CPU provider and fails its runs as a GPU out of memory does.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { decodeAudio } from '@imk/media';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMdxEngine, type MdxEngineOptions } from '../src/engines/mdx.ts';
import { ORT_SESSIONS } from '../src/mdx/model-session.ts';
import { openMdxSessionCount } from '../src/mdx/session-pool.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { GPU_SIM, gpuSimSessions } from './gpu-sim.ts';
import { failsWhenRunGraph, identityGraph, identityWithDims, writeModel } from './mdx-graphs.ts';

const SHAPE = { nFft: 2048, dimF: 1024, dimT: 16 };
let dir = '';
let song = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-sessions-'));
  song = join(dir, 'song.wav');
  await musicLikeFile(song, { seconds: 3, codec: ['-c:a', 'pcm_f32le'] });
});
afterAll(() => cleanup());

function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test', {
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  });
  return { lines, logger };
}

async function workDir(): Promise<string> {
  const path = join(dir, `work-${Math.random().toString(36).slice(2)}`);
  await mkdir(path);
  return path;
}

async function vocalModel(name: string, bytes = identityGraph(SHAPE), compensate = 1): Promise<string> {
  return writeModel(join(dir, `${name}.onnx`), bytes, { ...SHAPE, primaryStem: 'Vocals', compensate });
}

describe('mdx engine: ONNX Runtime sessions', () => {
  it('lets go of its session when closed, after the song running on it ends, and reuses it until then', async () => {
    const model = await vocalModel('close');
    const { factory, stats } = gpuSimSessions();
    const engine = await createMdxEngine({ model, threads: 1 }, { sessionFactory: factory });
    await engine.separate({ input: song, workDir: await workDir() });
    await engine.separate({ input: song, workDir: await workDir() });
    expect(stats).toMatchObject({ created: 1, released: 0 });
    expect(openMdxSessionCount(factory)).toBe(1);
    // Closed while a song runs (the worker noticed a new model file): the song finishes on the session.
    const running = engine.separate({ input: song, workDir: await workDir() });
    await engine.close!();
    const result = await running;
    expect(result.frames).toBe(3 * 44100);
    expect(stats).toMatchObject({ created: 1, released: 1 });
    expect(openMdxSessionCount(factory)).toBe(0);

    // Its replacement (the model file changed) opens its own, and the old one stays released.
    const next = await createMdxEngine({ model, threads: 1 }, { sessionFactory: factory });
    await next.separate({ input: song, workDir: await workDir() });
    expect(stats).toMatchObject({ created: 2, released: 1 });
    await next.close!();
    expect(stats).toMatchObject({ created: 2, released: 2 });
  }, 120_000);

  it('releases the session of a model it refuses after opening it, on every try', async () => {
    const model = await writeModel(
      join(dir, 'wrong-shape.onnx'),
      identityWithDims(SHAPE, ['batch', 4, 512, 16]),
      { ...SHAPE, primaryStem: 'Vocals' },
    );
    const { factory, stats } = gpuSimSessions();
    for (let i = 0; i < 3; i++) {
      const error = await (
        await createMdxEngine({ model }, { sessionFactory: factory })
      )
        .separate({ input: song, workDir: await workDir() })
        .catch((e: unknown) => e);
      expect(isImkError(error, 'MODEL_SHAPE_MISMATCH'), String(error)).toBe(true);
    }
    expect(stats).toMatchObject({ created: 3, released: 3 });
  }, 60_000);
});

describe('mdx engine: a provider failing mid-run', () => {
  const options = (model: string, executionProviders: string[]): MdxEngineOptions => ({
    model,
    threads: 1,
    executionProviders,
  });

  it('runs the rest of the job on the next provider, with a warning, and the stems are the same', async () => {
    const model = await vocalModel('fallback');
    const cpu = await (
      await createMdxEngine(options(model, ['cpu']))
    ).separate({
      input: song,
      workDir: await workDir(),
    });
    const { factory, stats } = gpuSimSessions(3);
    const { lines, logger } = captureLog();
    const engine = await createMdxEngine(options(model, [GPU_SIM, 'cpu']), { sessionFactory: factory });
    const result = await engine.separate({ input: song, workDir: await workDir(), logger });
    expect(result.frames).toBe(cpu.frames);
    for (const stem of ['vocals', 'drums', 'bass', 'other'] as const)
      expect((await readFile(result.stems[stem])).equals(await readFile(cpu.stems[stem])), stem).toBe(true);
    const said =
      /^mdx: the gpu-sim execution provider failed after 2 model runs of this job \(ONNX Runtime ran out of memory running MDX model .*fallback\.onnx on gpu-sim: CUDA failure 2: out of memory.*\); the rest of the job ran on cpu; later jobs of this worker \(any model\) do not start on gpu-sim until it restarts \(restart it to try gpu-sim again\)$/;
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings![0]).toMatch(said);
    expect(lines.find((l) => typeof l.msg === 'string' && said.test(l.msg))).toMatchObject({
      level: 40,
      from: GPU_SIM,
      to: 'cpu',
    });
    // The sessions the job used are let go of when it ends, and the engine lets go of its own, which was
    // on the provider that failed (holding the GPU's memory).
    expect(stats.providersAsked).toEqual([[GPU_SIM, 'cpu'], ['cpu']]);
    expect(stats).toMatchObject({ created: 2, released: 2 });

    // The next jobs start on the CPU: no time lost failing over at the same point again, and the log says
    // it once (the first job's warning), each manifest why it ran on the CPU and how to try the GPU again.
    lines.length = 0;
    for (let job = 0; job < 2; job++) {
      const next = await engine.separate({ input: song, workDir: await workDir(), logger });
      expect((await readFile(next.stems.vocals)).equals(await readFile(cpu.stems.vocals))).toBe(true);
      expect(next.warnings).toEqual([
        expect.stringMatching(
          /^mdx: ran on cpu, not gpu-sim: gpu-sim failed mid-run in an earlier job of this worker \(ONNX Runtime ran out of memory .*\); restart the worker to try gpu-sim again$/,
        ),
      ]);
    }
    expect(stats.providersAsked).toEqual([[GPU_SIM, 'cpu'], ['cpu'], ['cpu']]);
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    await engine.close!();
    expect(stats).toMatchObject({ created: 3, released: 3 });

    // A restarted worker (a new process: here a new session factory, as the set-aside is kept per factory)
    // tries the GPU again.
    const restarted = gpuSimSessions(3);
    const again = await createMdxEngine(options(model, [GPU_SIM, 'cpu']), {
      sessionFactory: restarted.factory,
    });
    const retried = await again.separate({ input: song, workDir: await workDir() });
    expect(retried.warnings![0]).toMatch(said);
    expect(restarted.stats.providersAsked[0]).toEqual([GPU_SIM, 'cpu']);
    await again.close!();
  }, 120_000);

  // The set-aside was the engine's own: a job with other engine settings (another model, another overlap)
  // got another engine, which started on the failing GPU again and failed over once more, each time.
  it('sets the provider aside for the whole worker: jobs of other engines (other models, settings) skip it too', async () => {
    const first = await vocalModel('aside-a');
    const second = await vocalModel('aside-b');
    const { factory, stats } = gpuSimSessions(3);
    const { lines, logger } = captureLog();
    // Opened before the failure, on a song short enough not to fail (2 model runs): its kept session is on
    // the GPU.
    const short = join(dir, 'short.wav');
    await musicLikeFile(short, { seconds: 0.25, codec: ['-c:a', 'pcm_f32le'] });
    const other = await createMdxEngine(
      { ...options(second, [GPU_SIM, 'cpu']), compensate: 1.05 },
      { sessionFactory: factory },
    );
    expect((await other.separate({ input: short, workDir: await workDir(), logger })).warnings).toEqual([]);
    expect(stats.providersAsked).toEqual([[GPU_SIM, 'cpu']]);
    stats.providersAsked.length = 0;
    // runs fail from the third on the GPU, whichever session: a new session of `other` would fail too.
    const failing = await createMdxEngine(options(first, [GPU_SIM, 'cpu']), { sessionFactory: factory });
    const failed = await failing.separate({ input: song, workDir: await workDir(), logger });
    expect(failed.warnings![0]).toMatch(
      /the rest of the job ran on cpu; later jobs of this worker \(any model\) do not start on gpu-sim until it restarts \(restart it to try gpu-sim again\)$/,
    );
    expect(lines.filter((l) => (l.level as number) >= 40)).toHaveLength(1);
    lines.length = 0;
    stats.providersAsked.length = 0;

    // The engine that was open before, one made after (another model, other settings), one listing more
    // providers: all start on the CPU, each manifest says why, and the log does not say it again.
    const later = [
      other,
      await createMdxEngine(
        { ...options(second, [GPU_SIM, 'cpu']), denoise: true },
        { sessionFactory: factory },
      ),
      await createMdxEngine(options(second, ['GPU-SIM', 'warp-drive', 'cpu']), { sessionFactory: factory }),
    ];
    for (const engine of later) {
      const result = await engine.separate({ input: song, workDir: await workDir(), logger });
      expect(result.warnings).toContainEqual(
        expect.stringMatching(
          /^mdx: ran on cpu, not gpu-sim: gpu-sim failed mid-run in an earlier job of this worker \(ONNX Runtime ran out of memory .*\); restart the worker to try gpu-sim again$/,
        ),
      );
      expect(result.warnings!.some((w) => w.includes('the rest of the job ran on'))).toBe(false);
    }
    expect(
      stats.providersAsked.every((asked) => !asked.includes(GPU_SIM)),
      JSON.stringify(stats.providersAsked),
    ).toBe(true);
    expect(
      lines.filter((l) => (l.level as number) >= 40 && String(l.msg).includes('gpu-sim failed')),
    ).toEqual([]);
    // With nothing after it, a job still runs on it (and fails as it would alone, not with "no provider").
    const gpuOnly = await createMdxEngine(options(second, [GPU_SIM]), { sessionFactory: factory });
    const alone = await gpuOnly.separate({ input: song, workDir: await workDir() }).catch((e: unknown) => e);
    expect(isImkError(alone, 'ENGINE_FAILED'), String(alone)).toBe(true);
    for (const engine of [failing, gpuOnly, ...later]) await engine.close!();
    // The session `other` held on the GPU was let go of too.
    expect(openMdxSessionCount(factory)).toBe(0);
    expect(stats.released).toBe(stats.created);
  }, 180_000);

  it('fails as before when no provider comes after the one that failed', async () => {
    const model = await vocalModel('no-fallback');
    const { factory } = gpuSimSessions(3);
    const error = await (
      await createMdxEngine(options(model, [GPU_SIM]), { sessionFactory: factory })
    )
      .separate({ input: song, workDir: await workDir() })
      .catch((e: unknown) => e);
    expect(isImkError(error, 'ENGINE_FAILED'), String(error)).toBe(true);
    expect((error as Error).message).toContain('ran out of memory running MDX model');
  }, 60_000);

  it("reports the model's own failure when the next provider fails too", async () => {
    const model = await vocalModel('fails', failsWhenRunGraph(SHAPE));
    const { factory } = gpuSimSessions();
    const { lines, logger } = captureLog();
    const result = await (
      await createMdxEngine(options(model, [GPU_SIM, 'cpu']), { sessionFactory: factory })
    )
      .separate({ input: song, workDir: await workDir(), logger })
      .catch((e: unknown) => e);
    expect(isImkError(result, 'MODEL_INVALID'), String(result)).toBe(true);
    expect((result as Error).message).toContain(`ONNX Runtime could not run MDX model ${model}`);
    expect(lines.some((l) => String(l.msg).includes('the rest of the job ran on'))).toBe(false);
  }, 60_000);
});

describe('mdx engine: execution provider names', () => {
  it('sets aside a name ONNX Runtime does not have, in its own words, before ONNX Runtime sees it', async () => {
    const model = await vocalModel('unknown-provider');
    const warn = vi.spyOn(console, 'warn');
    try {
      const { factory, stats } = gpuSimSessions();
      const real = { providers: () => ORT_SESSIONS.providers(), create: factory.create };
      const { lines, logger } = captureLog();
      const engine = await createMdxEngine(options('warp-drive'), { sessionFactory: real });
      await engine.separate({ input: song, workDir: await workDir(), logger });
      await engine.close!();
      expect(stats.providersAsked).toEqual([['cpu']]);
      const said = lines.find((l) => String(l.msg).startsWith('mdx: running on'));
      expect(said?.msg).toMatch(
        /^mdx: running on cpu; could not use warp-drive \(this ONNX Runtime has no provider of that name \(it has cpu, .*\)\)$/,
      );
      // With ONNX Runtime's own sessions too: it never prints its "removing requested execution provider".
      await (
        await createMdxEngine(options('warp-drive'))
      ).separate({ input: song, workDir: await workDir() });
      expect(warn.mock.calls.map((c) => String(c[0]))).not.toContainEqual(
        expect.stringContaining('removing requested execution provider'),
      );
    } finally {
      warn.mockRestore();
    }

    function options(name: string): MdxEngineOptions {
      return { model, threads: 1, executionProviders: [name, 'cpu'] };
    }
  }, 60_000);
});

describe("mdx engine: UVR's Volume Compensation", () => {
  it('scales the primary stem by compensate when given, by the model data when auto', async () => {
    const model = await vocalModel('compensate', identityGraph(SHAPE), 1.022);
    const run = async (compensate?: MdxEngineOptions['compensate']) => {
      const engine = await createMdxEngine({
        model,
        threads: 1,
        ...(compensate === undefined ? {} : { compensate }),
      });
      const result = await engine.separate({ input: song, workDir: await workDir() });
      await engine.close!();
      const samples: number[] = [];
      for await (const block of decodeAudio(result.stems.vocals, { sampleRate: 44100, channels: 2 }))
        for (const channel of block) samples.push(...channel);
      return { params: engine.params, samples };
    };
    const auto = await run();
    const given = await run(1.08);
    const explicitAuto = await run('auto');
    expect(auto.params.compensate).toBe(1.022);
    expect(explicitAuto.params.compensate).toBe(1.022);
    expect(given.params.compensate).toBe(1.08);
    let err = 0;
    let ref = 0;
    for (let i = 0; i < auto.samples.length; i++) {
      const expected = (auto.samples[i]! / 1.022) * 1.08;
      err += (given.samples[i]! - expected) ** 2;
      ref += expected ** 2;
    }
    expect(ref).toBeGreaterThan(0);
    expect(10 * Math.log10(err / ref)).toBeLessThan(-120);

    for (const bad of [0, -1, 'loud'] as const) {
      const error = await createMdxEngine({ model, compensate: bad as never }).catch((e: unknown) => e);
      expect(isImkError(error, 'INVALID_ENGINE_OPTIONS'), String(bad)).toBe(true);
      expect((error as Error).message).toContain('mdx.compensate');
    }
  }, 120_000);
});
