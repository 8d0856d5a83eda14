export { createBlockSeparator } from './block-separator.ts';
export type { BlockSeparator } from './block-separator.ts';
export { BUILTIN_VERSION, DEFAULT_BUILTIN_PARAMS, resolveBuiltinParams } from './params.ts';
export type { BuiltinParams } from './params.ts';
export { separatePcm } from './separate-pcm.ts';
export { sdr } from '../dsp/sdr.ts';
