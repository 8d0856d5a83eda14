import type { PcmChannels } from '../engine.ts';

export function silence(frames: number): PcmChannels {
  return [new Float32Array(frames), new Float32Array(frames)];
}

/** Adds a mono signal into a stereo one at `pan` (-1 left .. 1 right) with equal-power gains. */
export function addPanned(target: PcmChannels, mono: Float32Array, pan: number): void {
  const angle = ((Math.max(-1, Math.min(1, pan)) + 1) * Math.PI) / 4;
  const gains = [Math.cos(angle) * Math.SQRT2, Math.sin(angle) * Math.SQRT2];
  target.forEach((channel, c) => {
    const gain = gains[c] ?? 0;
    for (let i = 0; i < channel.length; i++) channel[i] = (channel[i] ?? 0) + (mono[i] ?? 0) * gain;
  });
}

/** Root mean square over both channels. */
export function rms(pcm: PcmChannels): number {
  let sum = 0;
  let count = 0;
  for (const channel of pcm) {
    for (const value of channel) sum += value * value;
    count += channel.length;
  }
  return count === 0 ? 0 : Math.sqrt(sum / count);
}

export function peak(pcm: PcmChannels): number {
  let max = 0;
  for (const channel of pcm) for (const value of channel) max = Math.max(max, Math.abs(value));
  return max;
}

export function scaleInPlace(pcm: PcmChannels, gain: number): void {
  for (const channel of pcm) for (let i = 0; i < channel.length; i++) channel[i] = (channel[i] ?? 0) * gain;
}

/** Sums stereo signals sample by sample (in double precision, rounded once to float32). */
export function sumPcm(parts: PcmChannels[], frames: number): PcmChannels {
  const out = silence(frames);
  out.forEach((channel, c) => {
    for (let i = 0; i < frames; i++) {
      let sum = 0;
      for (const part of parts) sum += part[c]?.[i] ?? 0;
      channel[i] = sum;
    }
  });
  return out;
}
