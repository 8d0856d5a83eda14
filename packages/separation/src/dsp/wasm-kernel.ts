// What the hand-assembled WebAssembly kernels (wasm-compare-exchange.ts, wasm-dot-rows.ts) share: the
// module's framing around one exported function and one exported memory, and its instantiation.

/** The WebAssembly memory a kernel works in (typed locally: @types/node 20 does not declare WebAssembly). */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}

/**
 * A module with one function, exported as `name`, taking `params` i32 parameters and returning nothing,
 * whose code is `body` (its locals, then its instructions, then `end`), and one growable memory of 1 page,
 * exported as `memory`. `more` adds functions of the same type, exported by their names, sharing the
 * memory.
 */
export function kernelModule(
  name: string,
  params: number,
  body: number[],
  more: readonly { name: string; body: number[] }[] = [],
): Uint8Array {
  const functions = [{ name, body }, ...more];
  const n = functions.length;
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [0x01, 0x60, params, ...new Array<number>(params).fill(0x7f), 0x00]), // type: (i32 …) -> ()
    ...section(3, [n, ...new Array<number>(n).fill(0x00)]), // n functions of type 0
    ...section(5, [0x01, 0x00, 0x01]), // one memory, 1 page, growable
    ...section(7, [
      n + 1,
      ...functions.flatMap((f, i) => [...utf8Name(f.name), 0x00, i]),
      ...utf8Name('memory'),
      0x02,
      0x00,
    ]),
    ...section(10, [n, ...functions.flatMap((f) => [...uleb(f.body.length), ...f.body])]),
  ]);
}

/** A fresh instance's exports (its own memory), or undefined where the runtime cannot run the module. */
export function instantiateKernel<T>(module: Uint8Array): T | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined || !wasm.validate(module)) return undefined;
  return new wasm.Instance(new wasm.Module(module), {}).exports as T;
}

/** Instructions the kernels share (their bytes): locals, and the f64x2 arithmetic. */
export const localGet = (i: number): number[] => [0x20, i];
export const localSet = (i: number): number[] => [0x21, i];
export const localTee = (i: number): number[] => [0x22, i];
/** v128.const of sixteen zero bytes. */
export const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
export const F64X2_ADD = [0xfd, 0xf0, 0x01];
export const F64X2_MUL = [0xfd, 0xf2, 0x01];

const PAGE = 65_536;

/** `bytes` rounded up to whole 16-byte vectors (where a kernel's next array starts). */
export const alignToVector = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * The kernel's memory grown to hold at least `bytes` (a kernel's memory is 32-bit: undefined past that, and
 * the caller uses its plain loop). Make views after this: growing detaches the views made before.
 */
export function kernelBuffer(memory: KernelMemory, bytes: number): ArrayBuffer | undefined {
  if (bytes > 4 * 1024 ** 3 - PAGE) return undefined;
  const pages = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
  if (pages > 0) memory.grow(pages);
  return memory.buffer;
}

const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const utf8Name = (s: string): number[] => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}
