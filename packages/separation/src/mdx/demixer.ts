import { ImkError } from '@imk/errors';
import type { PcmChannels } from '../engine.ts';
import { createSampleFifo } from '../builtin/sample-fifo.ts';
import type { ChunkSpectrogram } from './chunk-spectrogram.ts';
import '../errors.ts';

/** Runs the model on `batch` spectrograms laid out [batch, 4, dim_f, dim_t]; returns the same shape. */
export type MdxModelRun = (input: Float32Array, batch: number) => Promise<Float32Array>;

export interface MdxDemixerOptions {
  spectrogram: ChunkSpectrogram;
  run: MdxModelRun;
  /** 'default' is UVR's step of chunk − n_fft; a fraction in [0, 1) gives a step of (1 − overlap) × chunk. */
  overlap: 'default' | number;
  /** Chunks given to the model at once. */
  batchSize: number;
  /** Average f(X) and −f(−X) (UVR's "denoise"); doubles the model's work. */
  denoise: boolean;
  /** Applied to the model's output (UVR's volume compensation). */
  compensate: number;
  signal?: AbortSignal;
}

/** Streaming MDX demixing: push mixture blocks, get the primary stem back in order, at most ~2 chunks behind. */
export interface MdxDemixer {
  push(block: PcmChannels): Promise<PcmChannels | undefined>;
  flush(): Promise<PcmChannels>;
}

/**
 * UVR's SeperateMDX.demix, chunk by chunk in order: the mixture is padded with n_fft/2 zeros at the start;
 * each chunk (hop × (dim_t − 1) samples) goes through STFT → model → inverse STFT, is weighted by a
 * symmetric Hann window (numpy's np.hanning, over the part of the chunk inside the padded mixture), summed
 * into place and normalised by the summed weights. Only the chunk being accumulated and the input not yet
 * used are held, so memory does not grow with the song.
 */
export function createMdxDemixer(options: MdxDemixerOptions): MdxDemixer {
  const { spectrogram: spec, run, batchSize, denoise, compensate, signal } = options;
  const chunk = spec.chunkSize;
  const trim = spec.nFft / 2;
  const gen = chunk - 2 * trim;
  const step = options.overlap === 'default' ? chunk - spec.nFft : Math.floor((1 - options.overlap) * chunk);
  if (gen <= 0 || step < 1 || step > chunk)
    throw new ImkError(
      'INVALID_PARAMS',
      `MDX chunk of ${chunk} samples with n_fft ${spec.nFft} and overlap ${String(options.overlap)} gives no usable step`,
    );
  const windowed = options.overlap !== 0;
  const fullWindow = hanning(chunk);
  const input = createSampleFifo(2, chunk * 2);
  input.append([new Float32Array(trim), new Float32Array(trim)]);
  const acc0 = new Float32Array(chunk);
  const acc1 = new Float32Array(chunk);
  const weight = new Float32Array(chunk);
  const left = new Float32Array(chunk);
  const right = new Float32Array(chunk);
  let pos = 0; // start of the next chunk, in padded-mixture samples
  let read = 0; // mixture samples pushed
  let out: Float32Array[][] = [];

  async function runBatch(starts: number[], total: number | undefined): Promise<void> {
    signal?.throwIfAborted();
    const tensor = new Float32Array(starts.length * spec.tensorSize);
    starts.forEach((start, b) => {
      input.read(0, start, left);
      input.read(1, start, right);
      spec.forward(left, right, tensor, b * spec.tensorSize);
    });
    let pred = await untilAborted(run(tensor, starts.length), signal);
    if (denoise) {
      const negated = await untilAborted(
        run(
          tensor.map((v) => -v),
          starts.length,
        ),
        signal,
      );
      pred = pred.map((v, i) => 0.5 * v - 0.5 * negated[i]!);
    }
    for (let b = 0; b < starts.length; b++) {
      spec.inverse(pred, b * spec.tensorSize, left, right);
      const mixtureLength = total === undefined ? Infinity : trim + total + gen + trim - (total % gen);
      const actual = Math.min(chunk, mixtureLength - pos);
      const window = !windowed ? undefined : actual === chunk ? fullWindow : hanning(actual);
      for (let i = 0; i < actual; i++) {
        const w = window === undefined ? 1 : window[i]!;
        acc0[i] = acc0[i]! + left[i]! * w;
        acc1[i] = acc1[i]! + right[i]! * w;
        weight[i] = weight[i]! + w;
      }
      emit(Math.min(step, chunk), total);
    }
  }

  // Positions [pos, pos + count) are final: no later chunk reaches them.
  function emit(count: number, total: number | undefined): void {
    const from = Math.max(pos, trim);
    const to = Math.min(pos + count, total === undefined ? Infinity : trim + total);
    if (to > from) {
      const l = new Float32Array(to - from);
      const r = new Float32Array(to - from);
      for (let p = from; p < to; p++) {
        const i = p - pos;
        const w = weight[i]!;
        l[p - from] = w === 0 ? 0 : (acc0[i]! / w) * compensate;
        r[p - from] = w === 0 ? 0 : (acc1[i]! / w) * compensate;
      }
      out.push([l, r]);
    }
    for (const a of [acc0, acc1, weight]) {
      a.copyWithin(0, count);
      a.fill(0, chunk - count);
    }
    pos += count;
    input.dropBefore(pos);
  }

  function take(): PcmChannels | undefined {
    if (out.length === 0) return undefined;
    const parts = out;
    out = [];
    return [0, 1].map((c) => concat(parts.map((p) => p[c]!)));
  }

  async function drain(total: number | undefined): Promise<void> {
    for (;;) {
      const starts: number[] = [];
      for (let k = 0; k < batchSize; k++) {
        const start = pos + k * step;
        const ready = total === undefined ? start + chunk <= input.end : start < trim + total;
        if (!ready) break;
        starts.push(start);
      }
      if (starts.length === 0) return;
      await runBatch(starts, total);
    }
  }

  return {
    async push(block) {
      const l = block[0] ?? new Float32Array(0);
      input.append([l, block[1] ?? l]); // mono is duplicated
      read += l.length;
      await drain(undefined);
      return take();
    },
    async flush() {
      await drain(read);
      return take() ?? [new Float32Array(0), new Float32Array(0)];
    },
  };
}

/**
 * `work`, or its signal's reason as soon as it fires: a model run takes seconds (a slow CPU, a batch of chunks)
 * and goes on in ONNX Runtime's thread, so a cancel need not wait for it; its result is then dropped.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** numpy's np.hanning(M): the symmetric Hann window, 1 for M = 1. */
export function hanning(size: number): Float32Array {
  const w = new Float32Array(size);
  if (size === 1) w[0] = 1;
  for (let n = 0; n < size && size > 1; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (size - 1));
  return w;
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const outArr = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    outArr.set(p, o);
    o += p.length;
  }
  return outArr;
}
