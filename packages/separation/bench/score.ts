// Shared scoring for the tuning scripts: SDR per stem and for the accompaniment, with the floors.
import { sdr } from '../src/dsp/sdr.ts';
import type { PcmChannels, StemPcm } from '../src/engine.ts';

export interface StemScore {
  stem: string;
  sdr: number;
  floor: number;
  gain: number;
}

export function sumChannels(...parts: PcmChannels[]): PcmChannels {
  return parts[0]!.map((_, c) => {
    const out = new Float32Array(parts[0]![c]!.length);
    for (const part of parts) {
      const ch = part[c]!;
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + ch[i]!;
    }
    return out;
  });
}

/** S seconds from the middle of a song (all of it when shorter), as MUSDB18's 7-second samples are cut. */
export function middleExcerpt(channels: PcmChannels, seconds: number | undefined, rate: number): PcmChannels {
  if (seconds === undefined) return channels;
  const frames = channels[0]!.length;
  const length = Math.min(frames, Math.round(seconds * rate));
  const start = Math.floor((frames - length) / 2);
  return channels.map((c) => c.slice(start, start + length));
}

export function scoreStems(
  truth: StemPcm,
  estimate: StemPcm,
  mixture: PcmChannels,
  sampleRate: number,
): StemScore[] {
  const accompaniment = (s: StemPcm): PcmChannels => sumChannels(s.drums, s.bass, s.other);
  const rows: [string, PcmChannels, PcmChannels][] = [
    ['vocals', truth.vocals, estimate.vocals],
    ['drums', truth.drums, estimate.drums],
    ['bass', truth.bass, estimate.bass],
    ['other', truth.other, estimate.other],
    ['accompaniment', accompaniment(truth), accompaniment(estimate)],
  ];
  return rows.map(([stem, ref, est]) => {
    const score = sdr(ref, est, sampleRate);
    const floor = sdr(ref, mixture, sampleRate);
    return { stem, sdr: round(score), floor: round(floor), gain: round(score - floor) };
  });
}

const round = (x: number): number => Math.round(x * 100) / 100;
