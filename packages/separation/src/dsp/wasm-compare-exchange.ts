// A WebAssembly SIMD kernel for the median networks: compare-exchange of two rows of float32, four lanes
// per instruction. Hand-assembled (the module is 100-odd bytes) so there is no build step; the WAT source
// is below. Runtimes without WebAssembly SIMD get `undefined` and the caller uses plain JavaScript.
//
//   (module
//     (memory (export "memory") 1)
//     (func (export "cmpx") (param $lo i32) (param $hi i32) (param $bytes i32)
//       (local $end i32) (local $a v128) (local $b v128)
//       (local.set $end (i32.add (local.get $lo) (local.get $bytes)))
//       (block (br_if 0 (i32.ge_u (local.get $lo) (local.get $end)))
//         (loop
//           (local.set $a (v128.load (local.get $lo)))
//           (local.set $b (v128.load (local.get $hi)))
//           (v128.store (local.get $lo) (f32x4.pmin (local.get $a) (local.get $b)))
//           (v128.store (local.get $hi) (f32x4.pmax (local.get $a) (local.get $b)))
//           (local.set $lo (i32.add (local.get $lo) (i32.const 16)))
//           (local.set $hi (i32.add (local.get $hi) (i32.const 16)))
//           (br_if 0 (i32.lt_u (local.get $lo) (local.get $end)))))))

import {
  localGet as get,
  localSet as set,
  instantiateKernel,
  kernelModule,
  type KernelMemory,
} from './wasm-kernel.ts';
import { CMPX16_BODY, PACK16_BODY } from './wasm-compare-exchange16.ts';

const LOAD = [0xfd, 0x00, 0x04, 0x00];
const STORE = [0xfd, 0x0b, 0x04, 0x00];
const PMIN = [0xfd, 0xea, 0x01];
const PMAX = [0xfd, 0xeb, 0x01];

const BODY = [
  ...[0x02, 0x01, 0x7f, 0x02, 0x7b], // locals: 1 × i32, 2 × v128
  ...get(0),
  ...get(2),
  0x6a,
  ...set(3),
  ...[0x02, 0x40], // block
  ...get(0),
  ...get(3),
  0x4f,
  0x0d,
  0x00, // br_if 0 (lo >= end)
  ...[0x03, 0x40], // loop
  ...get(0),
  ...LOAD,
  ...set(4),
  ...get(1),
  ...LOAD,
  ...set(5),
  ...get(0),
  ...get(4),
  ...get(5),
  ...PMIN,
  ...STORE,
  ...get(1),
  ...get(4),
  ...get(5),
  ...PMAX,
  ...STORE,
  ...get(0),
  0x41,
  0x10,
  0x6a,
  ...set(0),
  ...get(1),
  0x41,
  0x10,
  0x6a,
  ...set(1),
  ...get(0),
  ...get(3),
  0x49,
  0x0d,
  0x00, // br_if 0 (lo < end)
  0x0b, // end loop
  0x0b, // end block
  0x0b, // end func
];

const MODULE = kernelModule('cmpx', 3, BODY, [
  { name: 'cmpx16', body: CMPX16_BODY },
  { name: 'pack16', body: PACK16_BODY },
]);

export interface CompareExchangeKernel {
  readonly memory: KernelMemory;
  /** For byte ranges [lo, lo + bytes) and [hi, hi + bytes) (bytes a multiple of 16): lo = min, hi = max. */
  readonly cmpx: (lo: number, hi: number, bytes: number) => void;
  /** The same on rows of u16 (eight lanes per instruction; wasm-compare-exchange16.ts). */
  readonly cmpx16: (lo: number, hi: number, bytes: number) => void;
  /** 16-bit keys at [dst, dst + bytes) of the non-negative floats at [src, src + 2 × bytes). */
  readonly pack16: (src: number, dst: number, bytes: number) => void;
}

/** A fresh kernel instance with its own memory, or undefined where WebAssembly SIMD is unavailable. */
export function createCompareExchangeKernel(): CompareExchangeKernel | undefined {
  return instantiateKernel<CompareExchangeKernel>(MODULE);
}
