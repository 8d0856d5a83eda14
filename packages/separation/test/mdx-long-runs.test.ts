// A real model's run takes seconds on a slow CPU (more with a batch of chunks), and ONNX Runtime for Node runs
// it, and loads a model, synchronously on the calling thread. On the worker's main thread that stopped the
// worker's timers for as long: its lease heartbeat (a run longer than the lease handed the job to another
// worker) and its cancel checks (a cancel waited for the run to end, then for the chunk's split). Sessions now
// live in a thread of their own, and a cancel does not wait for the run.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMdxEngine } from '../src/engines/mdx.ts';
import { ORT_SESSIONS, type MdxSessionFactory } from '../src/mdx/model-session.ts';
import { makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { SHAPE } from './mdx-model-kit.ts';
import { slowGraph, writeModel } from './mdx-graphs.ts';

let dir = '';
let cleanup: () => Promise<void> = () => Promise.resolve();
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('imk-mdx-long-'));
});
afterAll(() => cleanup());

/** ONNX Runtime's sessions, counting the runs begun and ended, and calling `onRun` as each begins. */
function watchedSessions(onRun: () => void) {
  const runs = { begun: 0, ended: 0 };
  const factory: MdxSessionFactory = {
    providers: () => ORT_SESSIONS.providers(),
    async create(file, options) {
      const real = await ORT_SESSIONS.create(file, options);
      return {
        inputMetadata: real.inputMetadata,
        outputMetadata: real.outputMetadata,
        outputNames: real.outputNames,
        release: () => real.release(),
        async run(feeds: InferenceSession.FeedsType) {
          runs.begun++;
          onRun();
          const out = await real.run(feeds);
          runs.ended++;
          return out;
        },
      };
    },
  };
  return { factory, runs };
}

describe('mdx engine: long model runs', () => {
  it('keeps the worker turning while the model runs: a cancel mid-run stops the job at once', async () => {
    // About two seconds a run on one thread, here.
    const model = await writeModel(join(dir, 'slow.onnx'), slowGraph(SHAPE, 3), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    const song = join(dir, 'song.wav');
    await musicLikeFile(song, { seconds: 1 });
    const workDir = join(dir, 'work');
    await mkdir(workDir);
    const controller = new AbortController();
    let ticks = 0;
    // A timer set as the first run begins: before, it fired only once the run had ended.
    const { factory, runs } = watchedSessions(() => {
      if (runs.begun === 1)
        setTimeout(() => {
          ticks++;
          controller.abort(new Error('cancelled by the user'));
        }, 20);
    });
    const engine = await createMdxEngine({ model, threads: 1 }, { sessionFactory: factory });
    const error = await engine
      .separate({ input: song, workDir, signal: controller.signal })
      .catch((e: unknown) => e);
    const endedWhenStopped = runs.ended;
    expect(isImkError(error, 'ABORTED'), String(error)).toBe(true);
    expect(ticks).toBe(1);
    // The job stopped while its first run was still going: it did not wait for it.
    expect(endedWhenStopped).toBe(0);
    expect(runs.begun).toBe(1);
    // The run left behind ends in its thread; closing the engine lets go of the session after it.
    await engine.close?.();
  }, 60_000);

  it('drops the cancelled run: the next job on the engine runs on a new session, not behind it', async () => {
    const model = await writeModel(join(dir, 'slow-drop.onnx'), slowGraph(SHAPE, 3), {
      ...SHAPE,
      primaryStem: 'Vocals',
    });
    const song = join(dir, 'song-drop.wav');
    await musicLikeFile(song, { seconds: 1 });
    const short = join(dir, 'short-drop.wav');
    await musicLikeFile(short, { seconds: 0.1 });
    // Each session's runs, in the order they ended or failed; the signal is handed on, as ORT_SESSIONS takes it.
    const events: string[] = [];
    let sessions = 0;
    let onRun = () => {};
    const factory: MdxSessionFactory = {
      providers: () => ORT_SESSIONS.providers(),
      async create(file, options) {
        const real = await ORT_SESSIONS.create(file, options);
        const n = ++sessions;
        return {
          inputMetadata: real.inputMetadata,
          outputMetadata: real.outputMetadata,
          outputNames: real.outputNames,
          get usable() {
            return real.usable;
          },
          release: () => real.release(),
          async run(feeds: InferenceSession.FeedsType, signal?: AbortSignal) {
            onRun();
            try {
              const out = await real.run(feeds, signal);
              events.push(`session ${n}: run ended`);
              return out;
            } catch (error) {
              events.push(`session ${n}: run dropped`);
              throw error;
            }
          },
        };
      },
    };
    const engine = await createMdxEngine({ model, threads: 1 }, { sessionFactory: factory });
    const controller = new AbortController();
    onRun = () => setTimeout(() => controller.abort(new Error('cancelled by the user')), 20);
    const error = await engine
      .separate({ input: song, workDir: await workDirFor('drop-1'), signal: controller.signal })
      .catch((e: unknown) => e);
    expect(isImkError(error, 'ABORTED'), String(error)).toBe(true);
    onRun = () => {};
    // The next job on the same engine runs on a new session, not behind the dropped run in the old one's thread.
    const next = await engine.separate({ input: short, workDir: await workDirFor('drop-2') });
    expect(next.frames).toBeGreaterThan(0);
    await engine.close?.();
    // The dropped run never came back (before, it ended in its thread before the next job's first run did).
    expect(events[0]).toBe('session 1: run dropped');
    expect(events.filter((e) => e.startsWith('session 1'))).toEqual(['session 1: run dropped']);
    expect(events.slice(1).every((e) => e === 'session 2: run ended')).toBe(true);
    expect(sessions).toBe(2);
  }, 60_000);
});

async function workDirFor(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path);
  return path;
}
