// A WebAssembly SIMD kernel for REPET-SIM's similarity matrix: the dot products of 16 frames with every frame,
// two frames per f64x2 lane pair. Hand-assembled like wasm-compare-exchange.ts (no build step); the WAT
// source is below. Each lane adds the same products in the same order as the plain JavaScript loop (a
// float32 × float32 product is exact in float64, and the additions are float64 in order), so the result is
// the same to the bit; runtimes without WebAssembly SIMD get `undefined` and the caller uses that loop.
//
//   (module
//     (memory (export "memory") 1)
//     ;; q: bins × 16 f64, frame r of the block at q + (k·16 + r)·8; data: frames × bins f32;
//     ;; out: frames × 16 f64, the dot of block frame r with frame j at out + (j·16 + r)·8. bins ≥ 1.
//     (func (export "dots") (param $q i32) (param $data i32) (param $frames i32) (param $bins i32)
//                           (param $out i32)
//       (local $j i32) (local $k i32) (local $p i32) (local $qp i32)
//       (local $v v128) (local $a0 v128) … (local $a7 v128)
//       (block (br_if 0 (i32.eqz (local.get $frames)))
//         (local.set $p (local.get $data))
//         (local.set $j (local.get $frames))
//         (loop
//           (local.set $a0 (v128.const i64x2 0 0)) … (local.set $a7 (v128.const i64x2 0 0))
//           (local.set $qp (local.get $q))
//           (local.set $k (local.get $bins))
//           (loop
//             (local.set $v (f64x2.splat (f64.promote_f32 (f32.load (local.get $p)))))
//             (local.set $a0 (f64x2.add (local.get $a0)
//                                       (f64x2.mul (v128.load offset=0 (local.get $qp)) (local.get $v))))
//             … $a1 … $a7 with offset=16 … 112
//             (local.set $qp (i32.add (local.get $qp) (i32.const 128)))
//             (local.set $p (i32.add (local.get $p) (i32.const 4)))
//             (br_if 0 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
//           (v128.store offset=0 (local.get $out) (local.get $a0)) … offset=112 $a7
//           (local.set $out (i32.add (local.get $out) (i32.const 128)))
//           (br_if 0 (local.tee $j (i32.sub (local.get $j) (i32.const 1)))))))

import {
  localGet as get,
  localSet as set,
  localTee as tee,
  V128_ZERO as ZERO,
  F64X2_ADD,
  F64X2_MUL,
  alignToVector,
  instantiateKernel,
  kernelBuffer,
  kernelModule,
  type KernelMemory,
} from './wasm-kernel.ts';

/** Frames of the block whose dot products one call computes. */
export const DOT_BLOCK = 16;

const load = (offset: number): number[] => [0xfd, 0x00, 0x04, offset];
const store = (offset: number): number[] => [0xfd, 0x0b, 0x04, offset];
const F64X2_SPLAT = [0xfd, 0x14];
const [Q, DATA, FRAMES, BINS, OUT, J, K, P, QP, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const ACC = [10, 11, 12, 13, 14, 15, 16, 17];
const countDown = (i: number): number[] => [...get(i), 0x41, 0x01, 0x6b, ...tee(i), 0x0d, 0x00];
const advance = (i: number, bytes: number[]): number[] => [...get(i), 0x41, ...bytes, 0x6a, ...set(i)];

const BODY = [
  ...[0x02, 0x04, 0x7f, 0x09, 0x7b], // locals: 4 × i32, 9 × v128
  ...[0x02, 0x40], // block
  ...get(FRAMES),
  0x45, // i32.eqz
  0x0d,
  0x00, // br_if 0
  ...get(DATA),
  ...set(P),
  ...get(FRAMES),
  ...set(J),
  ...[0x03, 0x40], // loop over j
  ...ACC.flatMap((a) => [...ZERO, ...set(a)]),
  ...get(Q),
  ...set(QP),
  ...get(BINS),
  ...set(K),
  ...[0x03, 0x40], // loop over k
  ...get(P),
  ...[0x2a, 0x02, 0x00], // f32.load
  0xbb, // f64.promote_f32
  ...F64X2_SPLAT,
  ...set(V),
  ...ACC.flatMap((a, r) => [
    ...get(a),
    ...get(QP),
    ...load(16 * r),
    ...get(V),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...set(a),
  ]),
  ...advance(QP, [0x80, 0x01]), // + 128
  ...advance(P, [0x04]), // + 4
  ...countDown(K),
  0x0b, // end loop over k
  ...ACC.flatMap((a, r) => [...get(OUT), ...get(a), ...store(16 * r)]),
  ...advance(OUT, [0x80, 0x01]), // + 128
  ...countDown(J),
  0x0b, // end loop over j
  0x0b, // end block
  0x0b, // end func
];

const MODULE = kernelModule('dots', 5, BODY);

interface DotExports {
  readonly memory: KernelMemory;
  readonly dots: (q: number, data: number, frames: number, bins: number, out: number) => void;
}

/** Dot products of blocks of DOT_BLOCK frames with every frame, in WebAssembly memory of their own. */
export interface FrameDots {
  /** The frames' features, frame-major (`bins` a frame): fill before the first `block`. */
  readonly features: Float32Array;
  /**
   * The dot products of frames first … first + 15 (past the last frame, the last frame again) with every
   * frame: rows[r][j] for frame first + r and frame j.
   */
  block(first: number, rows: Float64Array[]): void;
}

/** A kernel for `frames` frames of `bins` values, or undefined where WebAssembly SIMD is unavailable. */
export function createFrameDots(frames: number, bins: number): FrameDots | undefined {
  if (bins < 1) return undefined;
  const kernel = instantiateKernel<DotExports>(MODULE);
  if (kernel === undefined) return undefined;
  const { memory, dots } = kernel;
  const dataBytes = alignToVector(frames * bins * 4);
  const queryBytes = bins * DOT_BLOCK * 8;
  const outBytes = frames * DOT_BLOCK * 8;
  const buffer = kernelBuffer(memory, dataBytes + queryBytes + outBytes);
  if (buffer === undefined) return undefined; // past 32-bit memory: the caller's loop does it
  const features = new Float32Array(buffer, 0, frames * bins);
  const query = new Float64Array(buffer, dataBytes, bins * DOT_BLOCK);
  const out = new Float64Array(buffer, dataBytes + queryBytes, frames * DOT_BLOCK);
  return {
    features,
    block(first, rows) {
      const last = frames - 1;
      for (let r = 0; r < DOT_BLOCK; r++) {
        const from = Math.min(first + r, last) * bins;
        for (let k = 0; k < bins; k++) query[k * DOT_BLOCK + r] = features[from + k]!;
      }
      dots(dataBytes, 0, frames, bins, dataBytes + queryBytes);
      for (let r = 0; r < DOT_BLOCK && r < rows.length; r++) {
        const row = rows[r]!;
        for (let j = 0; j < frames; j++) row[j] = out[j * DOT_BLOCK + r]!;
      }
    },
  };
}
