// ONNX Runtime for Node loads a model and runs it synchronously on the calling thread (its "async" API only
// defers the call with setImmediate). On the worker's main thread a model run of a few seconds (a slow CPU, a
// batch of chunks) or the load of a large model from a slow share stopped everything else the worker does for
// that long: its lease heartbeat (a run past the lease handed the job to another worker), its cancel checks
// (a cancel waited for the run) and its log. Each session therefore lives in a thread of its own, which holds
// it from `create` to `release`; the main thread only sends it the chunks and receives the results.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ImkError } from '@imk/errors';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import '../errors.ts';

/** What the mdx engine uses of an ONNX Runtime session (a session in a thread of its own, or ORT's own object). */
export interface OrtSession {
  readonly inputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model. With `signal`, an abort drops the run: it rejects at once (ImkError ABORTED) and the
   * session is no longer usable (see `usable`); its thread is let go of once ONNX Runtime's run returns.
   */
  run(feeds: InferenceSession.FeedsType, signal?: AbortSignal): Promise<InferenceSession.ReturnType>;
  release(): Promise<void>;
  /** False once the session can run no more (a run of it dropped by an abort, or its thread gone); absent: usable. */
  readonly usable?: boolean;
}

type TensorClass = typeof OrtTensor;

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  message?: string;
}

interface Described {
  inputMetadata: InferenceSession.ValueMetadata[];
  outputMetadata: InferenceSession.ValueMetadata[];
  outputNames: string[];
}

interface PlainTensor {
  type: OrtTensor.Type;
  data: Float32Array;
  dims: readonly number[];
}

// The thread's code: plain JavaScript, so it runs the same under node, tsx and vitest.
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
ort.env.logLevel = 'fatal';
let session;
parentPort.on('message', async (m) => {
  const transfer = [];
  try {
    let value;
    if (m.op === 'create') {
      session = await ort.InferenceSession.create(m.file, m.options);
      value = { inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata, outputNames: session.outputNames };
    } else if (m.op === 'run') {
      const feeds = {};
      for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const result = await session.run(feeds);
      value = {};
      for (const [name, t] of Object.entries(result)) {
        // A copy of our own, handed over rather than copied again by postMessage.
        const data = t.data.slice();
        value[name] = { type: t.type, data, dims: t.dims };
        transfer.push(data.buffer);
      }
    } else if (m.op === 'release') {
      const s = session;
      session = undefined;
      if (s !== undefined) await s.release();
    }
    parentPort.postMessage({ id: m.id, ok: true, value }, transfer);
  } catch (error) {
    parentPort.postMessage({ id: m.id, ok: false, message: (error && error.message) || String(error) });
  }
});
`;

let ortPath: string | undefined;

/**
 * Opens the model at `file` in a thread of its own. Rejects with ONNX Runtime's own error (its message) when
 * it cannot be opened; the thread is then gone.
 */
export async function createThreadSession(
  file: string,
  options: InferenceSession.SessionOptions,
  Tensor: TensorClass,
): Promise<OrtSession> {
  ortPath ??= createRequire(import.meta.url).resolve('onnxruntime-node');
  const worker = new Worker(THREAD_CODE, { eval: true, workerData: { ort: ortPath } });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  let gone: Error | undefined;
  // The thread keeps the process alive only while it is asked something: an idle session (an engine kept
  // for the next song) must not keep `imk separate` from exiting, and a run in progress must.
  worker.unref();
  const settleAll = (error: Error) => {
    gone ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    worker.unref();
  };
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (p === undefined) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(reply.message));
  });
  worker.on('error', (error) => settleAll(error));
  worker.on('exit', (code) => settleAll(new Error(`ONNX Runtime's thread stopped (exit code ${code})`)));
  const ask = (message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<unknown> => {
    if (gone !== undefined) return Promise.reject(gone);
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...message, id }, transfer);
    });
  };
  let described: Described;
  try {
    described = (await ask({ op: 'create', file, options })) as Described;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  let released: Promise<void> | undefined;
  // A run dropped by an abort (a cancelled job, Ctrl-C in imk separate) is not waited for: ONNX Runtime cannot
  // stop a run, and the next job's first run and the engine's close queued behind it in this thread for as
  // long as it lasted (seconds a chunk on a slow CPU, more with a batch). Its caller is answered at once and
  // the session is no longer usable (the pool opens a new one for the next job); the thread is let go of
  // once the run returns. Terminating the thread mid-run instead is not safe: ONNX Runtime's run, returning
  // into a terminated thread, aborts the whole process ("terminate called after throwing an instance of
  // 'Napi::Error'", measured), so the thread is kept (and keeps the process) until the run returns.
  let droppedRun: Promise<void> | undefined;
  const drop = (id: number, reason: unknown) => {
    const p = pending.get(id);
    if (p === undefined) return;
    droppedRun = new Promise<void>((settled) =>
      pending.set(id, { resolve: () => settled(), reject: () => settled() }),
    );
    p.reject(
      new ImkError('ABORTED', `the run of MDX model ${file} was dropped (its job was stopped)`, {
        cause: reason,
      }),
    );
  };
  const terminate = () => worker.terminate().then(() => undefined);
  return {
    ...described,
    get usable() {
      return gone === undefined && droppedRun === undefined;
    },
    async run(feeds, signal) {
      signal?.throwIfAborted();
      if (droppedRun !== undefined)
        throw new ImkError(
          'ENGINE_FAILED',
          `a run of MDX model ${file} was dropped in this session; the next job opens a new one`,
        );
      // Each input copied once and handed over (the caller keeps its own: denoise runs it again, negated).
      const plain: Record<string, PlainTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, t] of Object.entries(feeds)) {
        const data = (t.data as Float32Array).slice();
        plain[name] = { type: t.type, data, dims: t.dims };
        transfer.push(data.buffer);
      }
      const id = next;
      const onAbort = () => drop(id, signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let result: Record<string, PlainTensor>;
      try {
        result = (await ask({ op: 'run', feeds: plain }, transfer)) as Record<string, PlainTensor>;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      return Object.fromEntries(
        Object.entries(result).map(([name, t]) => [name, new Tensor(t.type, t.data, t.dims)]),
      );
    },
    release() {
      const release = () => ask({ op: 'release' }).then(terminate, terminate);
      if (released === undefined && droppedRun !== undefined) {
        // Not waited for: done in the background once the dropped run returns.
        void droppedRun.then(release);
        released = Promise.resolve();
      }
      released ??= release();
      return released;
    },
  };
}
