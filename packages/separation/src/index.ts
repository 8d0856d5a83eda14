export type { PcmChannels, SeparateRequest, SeparationEngine, SeparationResult, StemFiles, StemPcm } from './engine.ts';
