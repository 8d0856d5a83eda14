import { describe, expect, it } from 'vitest';
import { sampleRateWarning } from './manifest.ts';

// A 96 kHz input's files are 44.1 kHz unless sample_rate is set, and the manifest says how to keep the
// input's rate. That advice must be a setting the job accepts: sample_rate: 96000 on an mp3 job fails it in
// its options stage (mp3 goes up to 48 kHz, m4a to 96 kHz, flac and wav to 192 kHz), so it said what fails.
const input = { path: 'in.flac', sample_rate: 96000 };
const audio = (container: string, sample_rate = 44100) => ({
  kind: 'audio' as const,
  sample_rate,
  container,
});

describe('the sample-rate warning of a job whose files are not at the input rate', () => {
  it("says to set sample_rate when the files' format takes the input's rate", () => {
    expect(sampleRateWarning(input, [audio('m4a')], undefined)).toBe(
      "the input in.flac is 96000 Hz; the files are 44100 Hz, the rate separation works at (sound above 22.05 kHz in the input is not in them): set sample_rate: 96000 (job options, sidecar or the config's output.sampleRate) to have them written at 96000 Hz",
    );
  });

  it('names the format that cannot be written at that rate, and the formats that can', () => {
    expect(sampleRateWarning(input, [audio('mp3')], undefined)).toMatch(
      /: mp3 cannot be written at 96000 Hz; set sample_rate: 96000 \(job options, sidecar or the config's output\.sampleRate\) with output_format m4a, flac or wav to have them written at 96000 Hz$/,
    );
    expect(
      sampleRateWarning({ ...input, sample_rate: 192000 }, [audio('m4a'), audio('flac')], undefined),
    ).toMatch(
      /: m4a cannot be written at 192000 Hz; set sample_rate: 192000 .* with output_format flac or wav to have them written at 192000 Hz$/,
    );
  });

  it("gives the nearest rate a file can have for an input outside every format's range", () => {
    expect(sampleRateWarning({ ...input, sample_rate: 384000 }, [audio('flac')], undefined)).toMatch(
      /: no file is written above 192000 Hz; set sample_rate: 192000 .* with output_format flac or wav for the nearest$/,
    );
    expect(sampleRateWarning({ ...input, sample_rate: 6000 }, [audio('mp3')], undefined)).toMatch(
      /: no file is written below 8000 Hz; set sample_rate: 8000 .* with output_format m4a, mp3, flac or wav for the nearest$/,
    );
  });

  it('says nothing when a rate was asked for, or the files are at the input rate', () => {
    expect(sampleRateWarning(input, [audio('mp3')], 44100)).toBeUndefined();
    expect(sampleRateWarning(input, [audio('flac', 96000)], undefined)).toBeUndefined();
  });
});
