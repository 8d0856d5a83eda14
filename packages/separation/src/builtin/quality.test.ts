import { describe, expect, it } from 'vitest';
import type { PcmChannels, StemPcm } from '../engine.ts';
import { sdr } from '../dsp/sdr.ts';
import { separatePcm } from './separate-pcm.ts';
import { createTinyMix } from './tiny-mix.ts';

function accompaniment(stems: StemPcm): PcmChannels {
  return stems.drums.map((d, c) => d.map((v, i) => v + stems.bass[c]![i]! + stems.other[c]![i]!));
}

// The separator must beat the floor (the mixture itself used as every estimate) on every stem of a small
// deterministic song; vocals and the accompaniment, the stems an instrumental is made from, by a margin.
describe('builtin separation quality on a tiny synthetic mix', () => {
  it('beats the floor on every stem', () => {
    const mix = createTinyMix({ seconds: 10, seed: 1 });
    const est = separatePcm(mix.mixture, mix.sampleRate);
    const rows: [string, PcmChannels, PcmChannels, number][] = [
      ['vocals', mix.stems.vocals, est.vocals, 3],
      ['drums', mix.stems.drums, est.drums, 0],
      ['bass', mix.stems.bass, est.bass, 0],
      ['other', mix.stems.other, est.other, 0],
      ['accompaniment', accompaniment(mix.stems), accompaniment(est), 3],
    ];
    for (const [name, truth, estimate, margin] of rows) {
      const score = sdr(truth, estimate, mix.sampleRate);
      const floor = sdr(truth, mix.mixture, mix.sampleRate);
      expect(score, `${name}: ${score.toFixed(2)} dB vs floor ${floor.toFixed(2)} dB`).toBeGreaterThan(
        floor + margin,
      );
    }
  });
});
