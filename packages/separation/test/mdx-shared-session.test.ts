// One ONNX Runtime session per model and settings is shared by everyone in the process using it at once
// (session-pool.ts): the worker's jobs running side by side on one engine (concurrency 2), imk doctor's model
// check run in the worker's process. A cancel drops its job's run and sets the session aside; its other users
// then got ENGINE_FAILED ("a run of MDX model … was dropped in this session") on their next run, and a job
// that had nothing to do with the cancel failed. Only the cancelled user now sees its run dropped: the others
// go on, on a new session. Real ONNX Runtime, a slow tiny model built here (about two seconds a run).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { resolveMdxModelParams } from '../src/mdx/model-params.ts';
import { acquireMdxSession, openMdxSessionCount } from '../src/mdx/session-pool.ts';
import { ORT_SESSIONS, type MdxSessionFactory } from '../src/mdx/model-session.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { SHAPE } from './mdx-model-kit.ts';
import { slowGraph, writeModel } from './mdx-graphs.ts';

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-shared-'));
});
afterAll(() => cleanup());

/** ONNX Runtime's own sessions, calling `onRun` as each run begins and counting the sessions made. */
function watched(onRun: () => void) {
  const stats = { sessions: 0 };
  const factory: MdxSessionFactory = {
    providers: () => ORT_SESSIONS.providers(),
    async create(file, options) {
      const real = await ORT_SESSIONS.create(file, options);
      stats.sessions++;
      return {
        inputMetadata: real.inputMetadata,
        outputMetadata: real.outputMetadata,
        outputNames: real.outputNames,
        get usable() {
          return real.usable;
        },
        release: () => real.release(),
        run(feeds, signal?: AbortSignal) {
          onRun();
          return real.run(feeds, signal);
        },
      };
    },
  };
  return { factory, stats };
}

const slowModel = (name: string) =>
  writeModel(join(dir, `${name}.onnx`), slowGraph(SHAPE, 3), { ...SHAPE, primaryStem: 'Vocals' });

describe('a shared MDX session when one of its users is cancelled mid-run', () => {
  it("another user's next run (imk doctor's check in the worker's process) runs, on a new session", async () => {
    const file = await slowModel('doctor');
    const params = await resolveMdxModelParams(file);
    const controller = new AbortController();
    const { factory, stats } = watched(() =>
      setTimeout(() => controller.abort(new Error('cancelled by the user')), 20),
    );
    const options = { threads: 1, executionProviders: ['cpu'] };
    const job = await acquireMdxSession(file, params, options, factory);
    const doctor = await acquireMdxSession(file, params, options, factory);
    expect(openMdxSessionCount(factory)).toBe(1);
    const chunk = () => Float32Array.from({ length: 4 * SHAPE.dimF * SHAPE.dimT }, (_, i) => Math.sin(i) / 2);
    const dropped = await job.session.run(chunk(), 1, controller.signal).catch((e: unknown) => e);
    expect(dropped).toBe(controller.signal.reason);
    // The check's run, after the job's was dropped: it got ENGINE_FAILED.
    const out = await doctor.session.run(chunk(), 1).catch((e: unknown) => e);
    expect(out instanceof Float32Array, String(out)).toBe(true);
    expect((out as Float32Array).length).toBe(4 * SHAPE.dimF * SHAPE.dimT);
    expect(stats.sessions).toBe(2);
    await doctor.release();
    await job.release();
    expect(openMdxSessionCount(factory)).toBe(0);
  }, 60_000);

  it('a job running beside the cancelled one on the same engine (worker concurrency 2) finishes', async () => {
    const model = await slowModel('two-jobs');
    const [first, second] = [join(dir, 'first.wav'), join(dir, 'second.wav')];
    await musicLikeFile(first, { seconds: 1 });
    await musicLikeFile(second, { seconds: 1 });
    const controller = new AbortController();
    let runs = 0;
    // The first job is cancelled once both have begun a run (the second's is queued behind the first's).
    const { factory } = watched(() => {
      if (++runs === 2) setTimeout(() => controller.abort(new Error('cancelled by the user')), 20);
    });
    const engine = await createMdxEngine({ model, threads: 1 }, { sessionFactory: factory });
    const work = async (name: string) => {
      const path = join(dir, name);
      await mkdir(path);
      return path;
    };
    const [cancelled, other] = await Promise.all([
      engine
        .separate({ input: first, workDir: await work('w1'), signal: controller.signal })
        .catch((e: unknown) => e),
      engine.separate({ input: second, workDir: await work('w2') }).catch((e: unknown) => e),
    ]);
    expect(isImkError(cancelled, 'ABORTED'), String(cancelled)).toBe(true);
    expect(other instanceof Error, String(other)).toBe(false);
    expect((other as { frames: number }).frames).toBeGreaterThan(0);
    await engine.close?.();
    expect(openMdxSessionCount(factory)).toBe(0);
  }, 120_000);
});
