// A WebAssembly SIMD kernel for the builtin engine's whole-song candidate sweep: the dot products of one
// query with every `step`-th row of a table of float32 rows (REPET-SIM's index of band features). Each dot is
// summed as four partial sums, over the columns ≡ 0, 1, 2, 3 (mod 4), each in column order, then
// (s0 + s2) + (s1 + s3); the plain JavaScript loop `stridedDots` adds in that order too, so the two give the
// same result to the bit (a float32 × float32 product is exact in float64). Hand-assembled like
// wasm-dot-rows.ts (no build step); the WAT source:
//
//   (module
//     (memory (export "memory") 1)
//     ;; q: cols f64; data: rows × cols f32, row e at data + e·cols·4; out: count f64. cols ≥ 4, cols % 4 = 0.
//     (func (export "dots") (param $q i32) (param $data i32) (param $first i32) (param $step i32)
//                           (param $count i32) (param $cols i32) (param $out i32)
//       (local $p i32) (local $pp i32) (local $qp i32) (local $k i32) (local $stride i32)
//       (local $a0 v128) (local $a1 v128)
//       (block (br_if 0 (i32.eqz (local.get $count)))
//         (local.set $p (i32.add (local.get $data) (i32.mul (local.get $first) (i32.shl (local.get $cols) (i32.const 2)))))
//         (local.set $stride (i32.mul (local.get $step) (i32.shl (local.get $cols) (i32.const 2))))
//         (loop
//           (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
//           (local.set $qp (local.get $q)) (local.set $pp (local.get $p))
//           (local.set $k (i32.shr_u (local.get $cols) (i32.const 2)))
//           (loop
//             (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (v128.load offset=0 (local.get $qp))
//               (f64x2.promote_low_f32x4 (v128.load64_zero offset=0 (local.get $pp))))))
//             (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (v128.load offset=16 (local.get $qp))
//               (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $pp))))))
//             (local.set $qp (i32.add (local.get $qp) (i32.const 32)))
//             (local.set $pp (i32.add (local.get $pp) (i32.const 16)))
//             (br_if 0 (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
//           (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
//           (f64.store (local.get $out) (f64.add (f64x2.extract_lane 0 (local.get $a0))
//                                                (f64x2.extract_lane 1 (local.get $a0))))
//           (local.set $out (i32.add (local.get $out) (i32.const 8)))
//           (local.set $p (i32.add (local.get $p) (local.get $stride)))
//           (br_if 0 (local.tee $count (i32.sub (local.get $count) (i32.const 1)))))))

import { instantiateKernel, kernelModule, type KernelMemory } from './wasm-kernel.ts';

const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const tee = (i: number): number[] => [0x22, i];
const i32 = (value: number): number[] => [0x41, value]; // small non-negative constants only (< 64)
const V128_LOAD = (offset: number): number[] => [0xfd, 0x00, 0x04, offset];
const V128_LOAD64_ZERO = (offset: number): number[] => [0xfd, 0x5d, 0x03, offset];
const PROMOTE_LOW = [0xfd, 0x5f];
const ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const F64X2_ADD = [0xfd, 0xf0, 0x01];
const F64X2_MUL = [0xfd, 0xf2, 0x01];
const EXTRACT = (lane: number): number[] => [0xfd, 0x21, lane];
const [I32_ADD, I32_SUB, I32_MUL, I32_SHL, I32_SHR_U, I32_EQZ, F64_ADD] = [
  0x6a, 0x6b, 0x6c, 0x74, 0x76, 0x45, 0xa0,
];
const F64_STORE = [0x39, 0x03, 0x00];
const [Q, DATA, FIRST, STEP, COUNT, COLS, OUT, P, PP, QP, K, STRIDE, A0, A1] = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
];
const countDown = (i: number): number[] => [...get(i), ...i32(1), I32_SUB, ...tee(i), 0x0d, 0x00];
const advance = (i: number, bytes: number): number[] => [...get(i), ...i32(bytes), I32_ADD, ...set(i)];
const rowBytes = [...get(COLS), ...i32(2), I32_SHL];
const accumulate = (a: number, qOffset: number, pOffset: number): number[] => [
  ...get(a),
  ...get(QP),
  ...V128_LOAD(qOffset),
  ...get(PP),
  ...V128_LOAD64_ZERO(pOffset),
  ...PROMOTE_LOW,
  ...F64X2_MUL,
  ...F64X2_ADD,
  ...set(a),
];

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
  ...set(P),
  ...get(STEP),
  ...rowBytes,
  I32_MUL,
  ...set(STRIDE),
  ...[0x03, 0x40], // loop over rows
  ...ZERO,
  ...set(A0),
  ...ZERO,
  ...set(A1),
  ...get(Q),
  ...set(QP),
  ...get(P),
  ...set(PP),
  ...get(COLS),
  ...i32(2),
  I32_SHR_U,
  ...set(K),
  ...[0x03, 0x40], // loop over columns, four at a time
  ...accumulate(A0, 0, 0),
  ...accumulate(A1, 16, 8),
  ...advance(QP, 32),
  ...advance(PP, 16),
  ...countDown(K),
  0x0b, // end loop over columns
  ...get(OUT),
  ...get(A0),
  ...get(A1),
  ...F64X2_ADD,
  ...tee(A0),
  ...EXTRACT(0),
  ...get(A0),
  ...EXTRACT(1),
  F64_ADD,
  ...F64_STORE,
  ...advance(OUT, 8),
  ...get(P),
  ...get(STRIDE),
  I32_ADD,
  ...set(P),
  ...countDown(COUNT),
  0x0b, // end loop over rows
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

const PAGE = 65_536;
const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * A table of `rows` rows of `cols` values whose strided dot products run in WebAssembly SIMD where it can
 * (cols a multiple of 4, WebAssembly SIMD present, the table within 32-bit memory), and in the plain loop
 * otherwise: the same numbers either way. `maxCount` is the most dots one call asks for.
 */
export function createStridedDots(rows: number, cols: number, maxCount: number): StridedDots {
  const kernel = cols >= 4 && cols % 4 === 0 ? instantiateKernel<StridedExports>(MODULE) : undefined;
  const dataBytes = align(rows * cols * 4);
  const queryBytes = cols * 8;
  const total = dataBytes + queryBytes + maxCount * 8;
  if (kernel === undefined || total > 4 * 1024 ** 3 - PAGE) {
    const table = new Float32Array(rows * cols);
    return {
      rows: table,
      dots: (query, first, step, count, out, at) =>
        stridedDots(table, cols, query, first, step, count, out, at),
    };
  }
  const { memory, dots } = kernel;
  const pages = Math.ceil(total / PAGE) - memory.buffer.byteLength / PAGE;
  if (pages > 0) memory.grow(pages);
  const buffer = memory.buffer;
  const q = new Float64Array(buffer, dataBytes, cols);
  const result = new Float64Array(buffer, dataBytes + queryBytes, maxCount);
  return {
    rows: new Float32Array(buffer, 0, rows * cols),
    dots(query, first, step, count, out, at) {
      if (count <= 0) return;
      for (let k = 0; k < cols; k++) q[k] = query[k]!;
      dots(dataBytes, 0, first, step, count, cols, dataBytes + queryBytes);
      for (let i = 0; i < count; i++) out[at + i] = result[i]!;
    },
  };
}

/** The plain loop of the kernel: the same partial sums, in the same order. */
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
    const from = (first + i * step) * cols;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let k = 0;
    for (; k + 3 < cols; k += 4) {
      s0 += query[k]! * table[from + k]!;
      s1 += query[k + 1]! * table[from + k + 1]!;
      s2 += query[k + 2]! * table[from + k + 2]!;
      s3 += query[k + 3]! * table[from + k + 3]!;
    }
    if (k < cols) s0 += query[k]! * table[from + k]!;
    if (k + 1 < cols) s1 += query[k + 1]! * table[from + k + 1]!;
    if (k + 2 < cols) s2 += query[k + 2]! * table[from + k + 2]!;
    out[at + i] = s0 + s2 + (s1 + s3);
  }
}
