// A WebAssembly SIMD kernel for the builtin engine's whole-song candidate sweep: the dot products of one
// query with every `step`-th row of a table of float32 rows (REPET-SIM's index of band features), two rows
// at a time, one per f64x2 lane. Each lane adds the same products in the same order as the plain loop
// (`stridedDots`, the loop REPET-SIM had: a float32 × float32 product is exact in float64, and the sum runs
// over the columns in order), so the result is the same to the bit. Hand-assembled like wasm-dot-rows.ts
// (no build step); the WAT source:
//
//   (module
//     (memory (export "memory") 1)
//     ;; q: cols × f64x2 (each query value twice); data: rows × cols f32, row e at data + e·cols·4;
//     ;; out: count f64 and one more (an odd count writes one number past it). cols ≥ 1.
//     (func (export "dots") (param $q i32) (param $data i32) (param $first i32) (param $step i32)
//                           (param $count i32) (param $cols i32) (param $out i32)
//       (local $pa i32) (local $pb i32) (local $qp i32) (local $k i32) (local $stride i32)
//       (local $acc v128) (local $v v128)
//       (block (br_if 0 (i32.eqz (local.get $count)))
//         (local.set $pa (i32.add (local.get $data) (i32.mul (local.get $first) (i32.shl (local.get $cols) (i32.const 2)))))
//         (local.set $stride (i32.mul (local.get $step) (i32.shl (local.get $cols) (i32.const 2))))
//         (loop
//           ;; rows pa and pb = pa + stride (pa again for the last of an odd count)
//           (local.set $pb (select (i32.add (local.get $pa) (local.get $stride)) (local.get $pa)
//                                  (i32.gt_u (local.get $count) (i32.const 1))))
//           (local.set $acc (v128.const i64x2 0 0))
//           (local.set $qp (local.get $q))
//           (local.set $k (local.get $cols))
//           (loop
//             (local.set $v (v128.load32_lane 1 (local.get $pb) (v128.load32_zero (local.get $pa))))
//             (local.set $acc (f64x2.add (local.get $acc)
//                                        (f64x2.mul (v128.load (local.get $qp)) (f64x2.promote_low_f32x4 (local.get $v)))))
//             (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
//             (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
//             (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
//             (br_if 0 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
//           (v128.store (local.get $out) (local.get $acc))
//           (local.set $out (i32.add (local.get $out) (i32.const 16)))
//           ;; back to the row's start, then two rows on
//           (local.set $pa (i32.add (i32.sub (local.get $pa) (i32.shl (local.get $cols) (i32.const 2)))
//                                   (i32.shl (local.get $stride) (i32.const 1))))
//           (br_if 0 (i32.gt_s (local.tee $count (i32.sub (local.get $count) (i32.const 2))) (i32.const 0))))))

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

const i32 = (value: number): number[] => [0x41, value]; // small non-negative constants only (< 64)
const V128_LOAD = [0xfd, 0x00, 0x04, 0x00];
const V128_STORE = [0xfd, 0x0b, 0x04, 0x00];
const LOAD32_ZERO = [0xfd, 0x5c, 0x02, 0x00];
const LOAD32_LANE_1 = [0xfd, 0x56, 0x02, 0x00, 0x01];
const PROMOTE_LOW = [0xfd, 0x5f];
const [I32_ADD, I32_SUB, I32_MUL, I32_SHL, I32_EQZ, I32_GT_U, I32_GT_S, SELECT] = [
  0x6a, 0x6b, 0x6c, 0x74, 0x45, 0x4b, 0x4a, 0x1b,
];
const [Q, DATA, FIRST, STEP, COUNT, COLS, OUT, PA, PB, QP, K, STRIDE, ACC, V] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
];
const advance = (i: number, bytes: number): number[] => [...get(i), ...i32(bytes), I32_ADD, ...set(i)];
const rowBytes = [...get(COLS), ...i32(2), I32_SHL];

const BODY = [
  ...[0x02, 0x05, 0x7f, 0x02, 0x7b], // locals: 5 × i32, 2 × v128
  ...[0x02, 0x40], // block
  ...get(COUNT),
  I32_EQZ,
  ...[0x0d, 0x00], // br_if 0
  ...get(DATA),
  ...get(FIRST),
  ...rowBytes,
  I32_MUL,
  I32_ADD,
  ...set(PA),
  ...get(STEP),
  ...rowBytes,
  I32_MUL,
  ...set(STRIDE),
  ...[0x03, 0x40], // loop over pairs of rows
  ...get(PA),
  ...get(STRIDE),
  I32_ADD,
  ...get(PA),
  ...get(COUNT),
  ...i32(1),
  I32_GT_U,
  SELECT,
  ...set(PB),
  ...ZERO,
  ...set(ACC),
  ...get(Q),
  ...set(QP),
  ...get(COLS),
  ...set(K),
  ...[0x03, 0x40], // loop over columns
  ...get(PB),
  ...get(PA),
  ...LOAD32_ZERO,
  ...LOAD32_LANE_1,
  ...set(V),
  ...get(ACC),
  ...get(QP),
  ...V128_LOAD,
  ...get(V),
  ...PROMOTE_LOW,
  ...F64X2_MUL,
  ...F64X2_ADD,
  ...set(ACC),
  ...advance(QP, 16),
  ...advance(PA, 4),
  ...advance(PB, 4),
  ...get(K),
  ...i32(1),
  I32_SUB,
  ...tee(K),
  ...[0x0d, 0x00], // br_if 0
  0x0b, // end loop over columns
  ...get(OUT),
  ...get(ACC),
  ...V128_STORE,
  ...advance(OUT, 16),
  ...get(PA),
  ...rowBytes,
  I32_SUB,
  ...get(STRIDE),
  ...i32(1),
  I32_SHL,
  I32_ADD,
  ...set(PA),
  ...get(COUNT),
  ...i32(2),
  I32_SUB,
  ...tee(COUNT),
  ...i32(0),
  I32_GT_S,
  ...[0x0d, 0x00], // br_if 0
  0x0b, // end loop over pairs
  0x0b, // end block
  0x0b, // end func
];

const MODULE = kernelModule('dots', 7, BODY);

interface StridedExports {
  readonly memory: KernelMemory;
  readonly dots: (
    q: number,
    data: number,
    first: number,
    step: number,
    count: number,
    cols: number,
    out: number,
  ) => void;
}

/** A table of float32 rows and the dot products of a query with every `step`-th of them. */
export interface StridedDots {
  /** The rows, row-major (`cols` a row). */
  readonly rows: Float32Array;
  /** out[at + i] = query · row(first + i·step), i < count (the rows must exist). */
  dots(query: Float32Array, first: number, step: number, count: number, out: Float64Array, at: number): void;
}

/**
 * A table of `rows` rows of `cols` values whose strided dot products run in WebAssembly SIMD where it can
 * (WebAssembly SIMD present, the table within 32-bit memory), and in the plain loop otherwise: the same
 * numbers either way (`useSimd` false: the plain loop). One call computes at most `maxCount` dots.
 */
export function createStridedDots(rows: number, cols: number, maxCount: number, useSimd = true): StridedDots {
  const kernel = useSimd && cols >= 1 ? instantiateKernel<StridedExports>(MODULE) : undefined;
  const dataBytes = alignToVector(rows * cols * 4);
  const queryBytes = cols * 16;
  const buffer = kernel && kernelBuffer(kernel.memory, dataBytes + queryBytes + (maxCount + 1) * 8);
  if (kernel === undefined || buffer === undefined) {
    const table = new Float32Array(rows * cols);
    return {
      rows: table,
      dots(query, first, step, count, out, at) {
        checkCount(count, maxCount);
        stridedDots(table, cols, query, first, step, count, out, at);
      },
    };
  }
  const { dots } = kernel;
  const q = new Float64Array(buffer, dataBytes, 2 * cols);
  const result = new Float64Array(buffer, dataBytes + queryBytes, maxCount + 1);
  return {
    rows: new Float32Array(buffer, 0, rows * cols),
    dots(query, first, step, count, out, at) {
      checkCount(count, maxCount);
      if (count <= 0) return;
      for (let k = 0; k < cols; k++) q[2 * k] = q[2 * k + 1] = query[k]!;
      dots(dataBytes, 0, first, step, count, cols, dataBytes + queryBytes);
      for (let i = 0; i < count; i++) out[at + i] = result[i]!;
    },
  };
}

function checkCount(count: number, maxCount: number): void {
  if (count > maxCount) throw new RangeError(`${count} dots asked, at most ${maxCount}`);
}

/** The plain loop of the kernel (and what it computes, to the bit). */
export function stridedDots(
  table: Float32Array,
  cols: number,
  query: Float32Array,
  first: number,
  step: number,
  count: number,
  out: Float64Array,
  at: number,
): void {
  for (let i = 0; i < count; i++) {
    let dot = 0;
    for (let k = 0, from = (first + i * step) * cols; k < cols; k++) dot += query[k]! * table[from + k]!;
    out[at + i] = dot;
  }
}
