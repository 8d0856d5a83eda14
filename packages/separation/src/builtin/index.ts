export { createBlockSeparator } from './block-separator.ts';
export type { BlockSeparator } from './block-separator.ts';
export {
  BUILTIN_VERSION,
  BuiltinParamsSchema,
  DEFAULT_BUILTIN_PARAMS,
  resolveBuiltinParams,
} from './params.ts';
export type { BuiltinParams } from './params.ts';
export { separatePcm } from './separate-pcm.ts';
export { sdr } from '../dsp/sdr.ts';
export { createRepetIndexer } from './repet-index.ts';
export type { RepetIndex, RepetIndexer } from './repet-index.ts';
export type { BlockSeparatorOptions } from './block-separator.ts';
