// The 16-bit functions of the median networks' WebAssembly SIMD kernel (wasm-compare-exchange.ts builds the
// module): compare-exchange of two rows of u16, eight lanes per instruction (twice
// wasm-compare-exchange.ts's four f32 lanes, and half the bytes to keep in cache), and the packing of float32 rows into such keys. A key is the upper 16 bits of a non-negative
// float32, rounded to nearest (a bfloat16): keys order as the floats do, and a key read back as a float is
// within a relative 2⁻⁸ of it. Hand-assembled like the others; the WAT source:
//
//   (module
//     (memory (export "memory") 1)
//     (func (export "cmpx16") (param $lo i32) (param $hi i32) (param $bytes i32)
//       (local $end i32) (local $a v128) (local $b v128)
//       (local.set $end (i32.add (local.get $lo) (local.get $bytes)))
//       (block (br_if 0 (i32.ge_u (local.get $lo) (local.get $end)))
//         (loop
//           (local.set $a (v128.load (local.get $lo)))
//           (local.set $b (v128.load (local.get $hi)))
//           (v128.store (local.get $lo) (i16x8.min_u (local.get $a) (local.get $b)))
//           (v128.store (local.get $hi) (i16x8.max_u (local.get $a) (local.get $b)))
//           (local.set $lo (i32.add (local.get $lo) (i32.const 16)))
//           (local.set $hi (i32.add (local.get $hi) (i32.const 16)))
//           (br_if 0 (i32.lt_u (local.get $lo) (local.get $end))))))
//     ;; keys at [dst, dst + bytes) from the floats at [src, src + 2 × bytes)
//     (func (export "pack16") (param $src i32) (param $dst i32) (param $bytes i32)
//       (local $end i32) (local $a v128) (local $b v128)
//       (local.set $end (i32.add (local.get $dst) (local.get $bytes)))
//       (block (br_if 0 (i32.ge_u (local.get $dst) (local.get $end)))
//         (loop
//           (local.set $a (i32x4.shr_u (i32x4.add (v128.load (local.get $src)) (v128.const i32x4 0x8000 …)) (i32.const 16)))
//           (local.set $b (i32x4.shr_u (i32x4.add (v128.load offset=16 (local.get $src)) (v128.const …)) (i32.const 16)))
//           (v128.store (local.get $dst) (i16x8.narrow_i32x4_u (local.get $a) (local.get $b)))
//           (local.set $src (i32.add (local.get $src) (i32.const 32)))
//           (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
//           (br_if 0 (i32.lt_u (local.get $dst) (local.get $end)))))))

import { localGet as get, localSet as set } from './wasm-kernel.ts';

const LOAD = [0xfd, 0x00, 0x04, 0x00];
const LOAD_16 = [0xfd, 0x00, 0x04, 0x10]; // offset 16
const STORE = [0xfd, 0x0b, 0x04, 0x00];
const MIN_U16 = [0xfd, 0x97, 0x01];
const MAX_U16 = [0xfd, 0x99, 0x01];
const ADD_I32 = [0xfd, 0xae, 0x01];
const SHR_U_I32 = [0xfd, 0xad, 0x01];
const NARROW_U = [0xfd, 0x86, 0x01];
const HALF_ULP = [0xfd, 0x0c, ...Array.from({ length: 4 }, () => [0x00, 0x80, 0x00, 0x00]).flat()];
const ADD_16 = [0x41, 0x10, 0x6a]; // i32.const 16, i32.add
const ADD_32 = [0x41, 0x20, 0x6a];

// Locals: 0, 1, 2 = the parameters; 3 = end; 4, 5 = two vectors.
const LOOP_HEAD = (counter: number): number[] => [
  ...[0x02, 0x01, 0x7f, 0x02, 0x7b], // locals: 1 × i32, 2 × v128
  ...get(counter),
  ...get(2),
  0x6a,
  ...set(3),
  ...[0x02, 0x40], // block
  ...get(counter),
  ...get(3),
  ...[0x4f, 0x0d, 0x00], // br_if 0 (counter >= end)
  ...[0x03, 0x40], // loop
];
const LOOP_TAIL = (counter: number): number[] => [
  ...get(counter),
  ...get(3),
  ...[0x49, 0x0d, 0x00], // br_if 0 (counter < end)
  ...[0x0b, 0x0b, 0x0b], // end loop, block, func
];

/** cmpx16(lo, hi, bytes): for u16 byte ranges [lo, lo + bytes) and [hi, hi + bytes), lo = min, hi = max. */
export const CMPX16_BODY = [
  ...LOOP_HEAD(0),
  ...[...get(0), ...LOAD, ...set(4)],
  ...[...get(1), ...LOAD, ...set(5)],
  ...[...get(0), ...get(4), ...get(5), ...MIN_U16, ...STORE],
  ...[...get(1), ...get(4), ...get(5), ...MAX_U16, ...STORE],
  ...[...get(0), ...ADD_16, ...set(0)],
  ...[...get(1), ...ADD_16, ...set(1)],
  ...LOOP_TAIL(0),
];

/**
 * pack16(src, dst, bytes): the keys of the floats at [src, src + 2 × bytes) (non-negative, not NaN) written
 * to [dst, dst + bytes); bytes a multiple of 16.
 */
export const PACK16_BODY = [
  ...LOOP_HEAD(1),
  ...[...get(0), ...LOAD, ...HALF_ULP, ...ADD_I32, 0x41, 0x10, ...SHR_U_I32, ...set(4)],
  ...[...get(0), ...LOAD_16, ...HALF_ULP, ...ADD_I32, 0x41, 0x10, ...SHR_U_I32, ...set(5)],
  ...[...get(1), ...get(4), ...get(5), ...NARROW_U, ...STORE],
  ...[...get(0), ...ADD_32, ...set(0)],
  ...[...get(1), ...ADD_16, ...set(1)],
  ...LOOP_TAIL(1),
];

/** The 16-bit key of a non-negative float32 given by its bits (what pack16 computes per lane). */
export const key16 = (bits: number): number => ((bits >>> 0) + 0x8000) >>> 16;
