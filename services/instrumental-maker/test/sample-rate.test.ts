import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '@imk/protocol';
import { imk, makeRoot, publishV1, removeRoot } from './helpers.ts';

// Separation works at 44.1 kHz: a 96 kHz, 48 kHz or 8 kHz input's files are 44.1 kHz unless sample_rate is
// set. The manifest says so, naming both rates and how to keep the input's; not when a rate was asked for.
let root: string;

const tone = async (file: string, rate: number) =>
  execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=330:duration=2:sample_rate=${rate}`],
    ...['-ac', '2', '-c:a', 'flac', file],
  ]);

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], retry: { maxAttempts: 1 } });
  const media = join(root, 'media');
  await execa('mkdir', [media]);
  for (const rate of [96000, 48000, 8000, 44100]) await tone(join(media, `${rate}.flac`), rate);
  const job = (id: string, rate: number, options: Record<string, unknown> = {}) =>
    publishV1(
      root,
      'other',
      { job_id: id, source_type: 'custom', artist: 'A', title: id, audio_path: 'in.flac', options },
      { 'in.flac': join(media, `${rate}.flac`) },
    );
  await job('hi96', 96000, { output_format: 'flac', keep_stems: ['vocals'] });
  await job('dvd48', 48000);
  await job('phone8', 8000);
  await job('cd', 44100);
  await job('asked', 96000, { output_format: 'flac', sample_rate: 96000 });
  // Shorter than EBU R128's 0.4 s block (a sound effect, a jingle cut): loud, but no integrated loudness.
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=0.3', '-ac', '2'],
    join(media, 'blip.wav'),
  ]);
  // A film's 5.1 sound, 24-bit.
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=2', '-ac', '6'],
    ...['-c:a', 'pcm_s24le', join(media, 'surround.wav')],
  ]);
  const other = (id: string, file: string) =>
    publishV1(
      root,
      'other',
      { job_id: id, source_type: 'custom', artist: 'A', title: id, audio_path: file },
      { [file]: join(media, file) },
    );
  await other('blip', 'blip.wav');
  await other('surround', 'surround.wav');
}, 60_000);
afterAll(() => removeRoot(root));

const manifestOf = async (id: string) =>
  JSON.parse(await readFile(join(root, 'outputs', id, 'manifest.json'), 'utf8')) as Manifest;
const rateWarnings = (manifest: Manifest) => manifest.warnings.filter((w) => w.includes(' Hz'));

describe("an input whose sample rate is not the files'", () => {
  it('is said in the manifest, with both rates and how to keep the input rate', async () => {
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 7 });
    const hi = await manifestOf('hi96');
    expect(hi.input.sample_rate).toBe(96000);
    expect(hi.artifacts.filter((a) => a.kind !== 'video').map((a) => a.sample_rate)).toEqual(
      hi.artifacts.filter((a) => a.kind !== 'video').map(() => 44100),
    );
    expect(rateWarnings(hi)).toEqual([
      "the input in.flac is 96000 Hz; the files are 44100 Hz, the rate separation works at (sound above 22.05 kHz in the input is not in them): set sample_rate: 96000 (job options, sidecar or the config's output.sampleRate) to have them written at 96000 Hz",
    ]);
    expect(rateWarnings(await manifestOf('dvd48'))).toEqual([
      expect.stringMatching(
        /^the input in\.flac is 48000 Hz; the files are 44100 Hz, .*set sample_rate: 48000/,
      ),
    ]);
    // Up, not down: nothing is lost, but the rate is not the input's either.
    const phone = rateWarnings(await manifestOf('phone8'));
    expect(phone).toEqual([expect.stringMatching(/^the input in\.flac is 8000 Hz; the files are 44100 Hz/)]);
    expect(phone[0]).not.toContain('not in them');
    // The same rate, or the rate asked for: nothing to say.
    expect(rateWarnings(await manifestOf('cd'))).toEqual([]);
    const asked = await manifestOf('asked');
    expect(rateWarnings(asked)).toEqual([]);
    expect(asked.artifacts.find((a) => a.kind === 'audio')!.sample_rate).toBe(96000);
  }, 240_000);
});

describe('an input the files cannot keep as it is', () => {
  it('shorter than 0.4 s is said as too short to measure, not as silent', async () => {
    const warnings = (await manifestOf('blip')).warnings;
    expect(warnings.join('\n')).not.toContain('silent');
    expect(warnings).toContain(
      "the input blip.wav lasts 0.3 s, less than the 0.4 s EBU R128 needs to measure loudness: the files' loudness is not measured (integrated_lufs null)",
    );
  });

  it('with 6 channels is said to be downmixed', async () => {
    const manifest = await manifestOf('surround');
    expect(manifest.input.channels).toBe(6);
    expect(manifest.warnings).toContain(
      'the input surround.wav has 6 channels; the files have 2, a downmix (separation works in stereo)',
    );
  });
});

describe('a mix saved for such a job', () => {
  it("is warned about by its own file's name in the job's manifest: rate and channels", async () => {
    const mix = (of: string) =>
      publishV1(
        root,
        'other',
        {
          job_id: `mix_of_${of}`,
          source_type: 'remix',
          artist: 'A',
          title: of,
          remix: { of, variant: 'my_mix', stems: { vocals: 1, other: 0.5 } },
        },
        {},
      );
    await mix('hi96');
    await mix('surround');
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 2 });

    const hi = await manifestOf('hi96');
    const hiMix = hi.artifacts.find((a) => a.variant === 'my_mix')!;
    expect(hiMix.sample_rate).toBe(44100);
    expect(rateWarnings(hi)).toContain(
      `the input in.flac is 96000 Hz; ${hiMix.path} is 44100 Hz, the rate separation works at (sound above 22.05 kHz in the input is not in it): set sample_rate: 96000 (job options, sidecar or the config's output.sampleRate) to have it written at 96000 Hz`,
    );
    // The job's own warning about its files is kept, said once.
    expect(rateWarnings(hi).filter((w) => w.includes('the files are'))).toHaveLength(1);

    const surround = await manifestOf('surround');
    const surroundMix = surround.artifacts.find((a) => a.variant === 'my_mix')!;
    expect(surround.warnings).toContain(
      `the input surround.wav has 6 channels; ${surroundMix.path} has 2, a downmix (separation works in stereo)`,
    );
  }, 240_000);
});
