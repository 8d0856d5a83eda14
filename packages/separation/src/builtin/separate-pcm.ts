import type { PcmChannels, StemPcm } from '../engine.ts';
import { createBlockSeparator, type BlockSeparatorOptions } from './block-separator.ts';
import { resolveBuiltinParams, type BuiltinParams } from './params.ts';
import { createRepetIndexer, type RepetIndex } from './repet-index.ts';

/** Block size separatePcm feeds the streaming separator with; the result does not depend on it. */
const FEED_FRAMES = 1 << 16;

/**
 * Separates a whole signal held in memory (planar float32) into the four stems, each exactly as long as
 * the input, in two passes as the engine does (the whole-song REPET-SIM index, then the separator). A
 * convenience over createBlockSeparator for tests, tuning and short clips.
 */
export function separatePcm(
  channels: PcmChannels,
  sampleRate: number,
  params: Partial<BuiltinParams> = {},
  options: Pick<BlockSeparatorOptions, 'fusionWeights' | 'observe'> = {},
): StemPcm {
  const total = channels[0]?.length ?? 0;
  let index: RepetIndex | undefined;
  if (resolveBuiltinParams(params).repetIndexMaxSec > 0 && total > 0) {
    const indexer = createRepetIndexer(sampleRate, params);
    for (let at = 0; at < total; at += FEED_FRAMES) {
      indexer.push(channels.map((ch) => ch.subarray(at, Math.min(total, at + FEED_FRAMES))));
    }
    index = indexer.finish();
  }
  const separator = createBlockSeparator(sampleRate, params, { ...options, index });
  const parts: StemPcm[] = [];
  for (let at = 0; at < total; at += FEED_FRAMES) {
    const end = Math.min(total, at + FEED_FRAMES);
    const out = separator.push(channels.map((ch) => ch.subarray(at, end)));
    if (out !== undefined) parts.push(out);
  }
  if (total === 0 && channels.length > 0) separator.push(channels);
  parts.push(separator.flush());
  return concatStems(parts);
}

function concatStems(parts: StemPcm[]): StemPcm {
  const concat = (name: keyof StemPcm): PcmChannels => {
    const channels = parts[0]![name].length;
    const length = parts.reduce((n, part) => n + (part[name][0]?.length ?? 0), 0);
    return Array.from({ length: channels }, (_, c) => {
      const out = new Float32Array(length);
      let at = 0;
      for (const part of parts) {
        out.set(part[name][c]!, at);
        at += part[name][c]!.length;
      }
      return out;
    });
  };
  return { vocals: concat('vocals'), drums: concat('drums'), bass: concat('bass'), other: concat('other') };
}
