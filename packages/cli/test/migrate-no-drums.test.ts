import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { expectValidConfigs, imk, scratchFolder, writeLegacyRoutesEnv } from './migrate-kit.ts';

// GENERATE_NO_DRUMS_VARIANT=true made the earlier version's no_drums: vocals + bass + other (its
// app/variant_generator.py), written as `Artist - Title (no drums).m4a` (app/simple_runner.py), labelled
// "Instrumental (no drums)" in manifest.json, and sent by its `no_drums` route. After `imk migrate`, a job
// makes that same file, under that name and variant, and its NAS route delivers it where it went before.
const scratch = scratchFolder('imk-migrate-no-drums-');

/** The samples of an audio file as 32-bit floats (interleaved stereo), as ffmpeg decodes it. */
async function samples(file: string): Promise<Float32Array> {
  const { stdout } = await execa('ffmpeg', ['-v', 'error', '-i', file, '-f', 'f32le', '-ac', '2', '-'], {
    encoding: 'buffer',
  });
  const bytes = Buffer.from(stdout);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((sum, v) => sum + v * v, 0) / x.length);

describe('imk migrate with GENERATE_NO_DRUMS_VARIANT=true', () => {
  it('makes its no_drums (vocals + bass + other) as "Artist - Title (no drums)", routed by its no_drums route', async () => {
    const dir = join(scratch.dir, 'root');
    const nas = join(scratch.dir, 'nas');
    const envFile = await writeLegacyRoutesEnv(join(scratch.dir, 'legacy.env'), nas, [
      'GENERATE_NO_DRUMS_VARIANT=true',
      'GENERATE_DRUMS_ONLY_VARIANT=true',
      'PRESERVE_STEMS=true',
      'OUTPUT_FORMAT=wav',
    ]);
    const migrated = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(migrated.exitCode, String(migrated.all)).toBe(0);
    expect(String(migrated.stdout)).toContain('recipes.no_drums');
    await expectValidConfigs(dir);
    await writeFile(join(dir, 'config', 'operations.yaml'), 'diskGuard: { enabled: false }\n');
    // Its bundle, as its JobBundle wrote it.
    await materializeLegacySample('bundles/job_leg_wav_001', join(dir, 'queues', 'other', 'job_leg_wav_001'));
    await mkdir(join(dir, 'outputs'), { recursive: true });
    const run = await imk(['run', 'instrumental-maker', '--once', '--root', dir]);
    expect(run.exitCode, String(run.all)).toBe(0);

    const out = join(dir, 'outputs', 'leg_wav_001');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      artifacts: { kind: string; variant: string; label: string; path: string }[];
    };
    const audio = manifest.artifacts.filter((a) => a.kind === 'audio');
    // The manifest entries as the earlier version's (its routes match kind and variant; its players the name).
    expect(audio.map(({ variant, label, path }) => ({ variant, label, path }))).toEqual([
      { variant: 'instrumental', label: 'Instrumental', path: 'files/audio/Legacy Artist - Sine A.wav' },
      {
        variant: 'no_drums',
        label: 'Instrumental (no drums)',
        path: 'files/audio/Legacy Artist - Sine A (no drums).wav',
      },
      {
        variant: 'drums_only',
        label: 'Drums only',
        path: 'files/audio/Legacy Artist - Sine A (drums only).wav',
      },
    ]);
    // Its content: vocals + bass + other, as the earlier no_drums (not our default bass + other).
    const stem = (name: string) =>
      samples(join(out, manifest.artifacts.find((a) => a.kind === 'stems' && a.variant === name)!.path));
    const [noDrums, vocals, bass, other] = await Promise.all([
      samples(join(out, audio[1]!.path)),
      stem('vocals'),
      stem('bass'),
      stem('other'),
    ]);
    const expected = noDrums.map((_, i) => vocals[i]! + bass[i]! + other[i]!);
    const error = noDrums.map((v, i) => v - expected[i]!);
    expect(rms(vocals)).toBeGreaterThan(10 * rms(error));
    expect(rms(error)).toBeLessThan(rms(expected) / 1000);

    const dry = await imk(['sync', '--dry-run', '--root', dir]);
    expect(dry.exitCode, String(dry.all)).toBe(0);
    expect(String(dry.stdout)).toContain(
      join(nas, 'audio', 'NoDrums', 'Legacy Artist - Sine A (no drums).wav'),
    );
    expect(String(dry.stdout)).toContain(
      join(nas, 'audio', 'DrumsOnly', 'Legacy Artist - Sine A (drums only).wav'),
    );
  }, 180_000);
});
