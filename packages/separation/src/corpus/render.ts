import type { StemName } from '@imk/protocol';
import type { PcmChannels, StemPcm } from '../engine.ts';
import { renderDrums } from './drums.ts';
import type { CorpusItemSpec } from './items.ts';
import { createPrng } from './prng.ts';
import { renderSpeechVoice } from './speech-voice.ts';
import { addPanned, peak, rms, scaleInPlace, silence, sumPcm } from './stereo.ts';
import { renderSungVoice } from './sung-voice.ts';
import { renderBass, renderOther } from './tonal.ts';

export const CORPUS_SAMPLE_RATE = 44100;

/** Loudness of each stem in the mix (RMS, dBFS): the voice on top, as in most pop mixes. */
const STEM_LEVEL_DB: Record<StemName, number> = { vocals: -19, drums: -21, bass: -22, other: -23 };
const MAX_PEAK = 0.9;

export interface RenderedItem {
  stems: StemPcm;
  /** The exact float sum of the stems. */
  mixture: PcmChannels;
  frames: number;
  /** Which voice was actually used ('sung' when espeak-ng was asked for but is missing). */
  voice: 'speech' | 'sung';
}

/** Renders one song's stems and mixture in memory; deterministic for a given spec (and espeak-ng version). */
export async function renderItem(
  spec: CorpusItemSpec,
  workDir: string,
  useSpeech: boolean,
): Promise<RenderedItem> {
  const sampleRate = CORPUS_SAMPLE_RATE;
  const frames = Math.round(spec.seconds * sampleRate);
  // One generator per part, so that changing one part's code does not reshuffle the others.
  const drums = renderDrums(spec, sampleRate, frames, createPrng(spec.seed * 4 + 1));
  const bass = renderBass(spec, sampleRate, frames, createPrng(spec.seed * 4 + 2));
  const other = renderOther(spec, sampleRate, frames, createPrng(spec.seed * 4 + 3));
  const voiceRng = createPrng(spec.seed * 4 + 4);
  const voice = spec.voice === 'speech' && useSpeech ? 'speech' : 'sung';
  const mono =
    voice === 'speech'
      ? await renderSpeechVoice(spec, sampleRate, frames, voiceRng, workDir)
      : renderSungVoice(spec, sampleRate, frames, voiceRng);
  const vocals = silence(frames);
  addPanned(vocals, mono, 0);
  const stems: StemPcm = { vocals, drums, bass, other };
  for (const [name, pcm] of Object.entries(stems) as [StemName, PcmChannels][]) {
    const level = rms(pcm);
    if (level > 0) scaleInPlace(pcm, 10 ** (STEM_LEVEL_DB[name] / 20) / level);
  }
  let mixture = sumPcm(Object.values(stems), frames);
  const top = peak(mixture);
  if (top > MAX_PEAK) {
    for (const pcm of Object.values(stems)) scaleInPlace(pcm, MAX_PEAK / top);
    // Re-sum rather than scale the mixture, so that it stays the exact float sum of the stored stems.
    mixture = sumPcm(Object.values(stems), frames);
  }
  return { stems, mixture, frames, voice };
}
