// Types for the parts of @echogarden/pffft-wasm (an Emscripten build of PFFFT without bundled types) we use.
interface PffftWasmModule {
  HEAPF32: Float32Array;
  _pffft_new_setup(n: number, kind: number): number;
  _pffft_aligned_malloc(bytes: number): number;
  _pffft_transform_ordered(
    setup: number,
    input: number,
    output: number,
    work: number,
    direction: number,
  ): void;
}

declare module '@echogarden/pffft-wasm/simd' {
  const factory: () => Promise<PffftWasmModule>;
  export default factory;
}

declare module '@echogarden/pffft-wasm' {
  const factory: () => Promise<PffftWasmModule>;
  export default factory;
}
