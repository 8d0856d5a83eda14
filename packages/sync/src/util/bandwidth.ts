import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Bytes per second, as a number or text with a binary unit: `"10M"` is 10 MiB/s, `"512K"` 512 KiB/s.
 * 0 means no limit.
 */
export const BandwidthSchema = z
  .union([
    z.number().nonnegative(),
    z
      .string()
      .regex(/^\s*\d+(\.\d+)?\s*([bkmg])?(i?b)?(\/s)?\s*$/i, 'expected bytes per second such as 10M or 512K'),
  ])
  .transform((value) => parseBandwidth(value))
  .describe('Bytes per second: a number, or text such as "10M" (MiB/s) or "512K" (KiB/s). 0 = unlimited.');

export function parseBandwidth(value: number | string): number {
  if (typeof value === 'number') return Math.floor(value);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([bkmg])?/i.exec(value);
  if (!match) return 0;
  const unit = UNITS[(match[2] ?? '').toLowerCase()] ?? 1;
  return Math.floor(Number(match[1]) * unit);
}

/**
 * A token bucket shared by every stream of one backend, so that a limit holds for the backend as a whole
 * however many transfers run at once.
 */
export interface Throttle {
  readonly bytesPerSecond: number;
  /** Waits until `bytes` may pass. */
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

export function createThrottle(bytesPerSecond: number): Throttle {
  // The next moment (ms, monotonic) at which the bucket is empty again.
  let nextFree = performance.now();
  return {
    bytesPerSecond,
    async take(bytes, signal) {
      const now = performance.now();
      const start = Math.max(now, nextFree);
      nextFree = start + (bytes / bytesPerSecond) * 1000;
      const wait = nextFree - now;
      // Allow a small burst (50 ms worth) before sleeping; timers cannot do better than ~1 ms anyway.
      if (wait > 50) await sleep(wait - 50, undefined, { signal });
    },
  };
}

const SLICE = 64 * 1024;

/** A pass-through stream that holds data back to the throttle's rate. */
export function throttledStream(throttle: Throttle, signal?: AbortSignal): Transform {
  return new Transform({
    highWaterMark: SLICE,
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      void (async () => {
        for (let offset = 0; offset < chunk.length; offset += SLICE) {
          const slice = chunk.subarray(offset, offset + SLICE);
          await throttle.take(slice.length, signal);
          this.push(slice);
        }
      })().then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
    },
  });
}
