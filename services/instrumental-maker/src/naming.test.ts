import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { legacySample } from '@imk/media/legacy-samples';
import type { Job } from '@imk/protocol';
import { InstrumentalMakerConfigSchema } from './config.ts';
import { audioPath, stemMp4Path, stemPath, variantLabel, videoPath } from './naming.ts';
import { createQueueOrder } from './queue-order.ts';
import { canonicalJson, stemCacheKey } from './stem-cache.ts';

const job: Job = {
  job_id: 'x1',
  source_type: 'youtube',
  artist: 'AC/DC',
  title: 'Back in Black?',
  audio_path: 'a.m4a',
};

describe('names users know', () => {
  it('names variants, stems and video like the earlier instrumental-maker, safe for NTFS and SMB', () => {
    expect(audioPath(job, 'instrumental', 'm4a')).toBe('files/audio/AC_DC - Back in Black_.m4a');
    expect(audioPath(job, 'no_drums', 'm4a')).toBe('files/audio/AC_DC - Back in Black_ (no drum).m4a');
    expect(audioPath(job, 'drums_only', 'flac')).toBe('files/audio/AC_DC - Back in Black_ (drums only).flac');
    expect(audioPath(job, 'bass_only', 'mp3')).toBe('files/audio/AC_DC - Back in Black_ (bass only).mp3');
    expect(stemPath(job, 'vocals', 'flac')).toBe('files/stems/AC_DC - Back in Black_ (vocals).flac');
    expect(stemMp4Path(job)).toBe('files/stems/AC_DC - Back in Black_.stem.mp4');
    expect(videoPath({ ...job, artist: undefined, title: undefined })).toBe('files/video/x1.mp4');
  });

  it('says a key or tempo change in the file name, and names the a cappella', () => {
    const inst = { stems: ['drums', 'bass', 'other'] } as const;
    expect(audioPath(job, 'instrumental@-2', 'm4a', { stems: [...inst.stems], pitch: -2 })).toBe(
      'files/audio/AC_DC - Back in Black_ (-2 semitones).m4a',
    );
    expect(audioPath(job, 'no_drums@+1@0.8x', 'wav', { stems: ['bass'], pitch: 1, tempo: 0.8 })).toBe(
      'files/audio/AC_DC - Back in Black_ (no drum) (+1 semitone) (80% tempo).wav',
    );
    expect(audioPath(job, 'vocals', 'm4a')).toBe('files/audio/AC_DC - Back in Black_ (a cappella).m4a');
  });

  it("takes a variant's suffix from config (output.suffixes, the earlier no_drums'), a key change after it", () => {
    const suffixes = { no_drums: ' (no drums)' };
    const recipe = { stems: ['vocals', 'bass', 'other'] } as const;
    expect(audioPath(job, 'no_drums', 'm4a', { stems: [...recipe.stems] }, { suffixes })).toBe(
      'files/audio/AC_DC - Back in Black_ (no drums).m4a',
    );
    expect(audioPath(job, 'no_drums@-2', 'm4a', { stems: [...recipe.stems], pitch: -2 }, { suffixes })).toBe(
      'files/audio/AC_DC - Back in Black_ (no drums) (-2 semitones).m4a',
    );
    // Another variant keeps its usual name.
    expect(audioPath(job, 'drums_only', 'm4a', undefined, { suffixes })).toBe(
      'files/audio/AC_DC - Back in Black_ (drums only).m4a',
    );
    // A suffix is put after a name already made safe: config refuses one NTFS or SMB would refuse.
    const config = (suffix: string) =>
      InstrumentalMakerConfigSchema.safeParse({ output: { suffixes: { no_drums: suffix } } }).success;
    expect(config(' (no drums)')).toBe(true);
    for (const bad of [' (a/b)', ' (why?)', ' (x).', ' (x) ', ' \u0001', 'x'.repeat(65)])
      expect(config(bad), bad).toBe(false);
  });

  it('names a mix saved from the mixer by its own name, never by the suffix of a recipe', () => {
    const mix = { mix: true };
    expect(audioPath(job, 'vocals', 'm4a', undefined, mix)).toBe(
      'files/audio/AC_DC - Back in Black_ (vocals).m4a',
    );
    expect(audioPath(job, 'instrumental', 'm4a', undefined, mix)).toBe(
      'files/audio/AC_DC - Back in Black_ (instrumental).m4a',
    );
    expect(audioPath(job, 'no_drum', 'm4a', undefined, mix)).toBe(
      'files/audio/AC_DC - Back in Black_ (no drum).m4a',
    );
  });
});

describe('queue order', () => {
  it('gives each queue the first turn in proportion to its weight, and always lists every queue', () => {
    const order = createQueueOrder([
      { name: 'a', weight: 3 },
      { name: 'b', weight: 1 },
    ]);
    const firsts = Array.from({ length: 8 }, () => order.next()).map((list) => {
      expect(list).toHaveLength(2);
      return list[0]!.name;
    });
    expect(firsts.filter((n) => n === 'a')).toHaveLength(6);
    expect(firsts.join('')).not.toMatch(/aaaa/);
  });
});

describe('stem cache key', () => {
  it('depends on input, engine and parameters, not on the order of the parameters', () => {
    const engine = { name: 'builtin', version: '1', params: { a: 1, b: { c: 2, d: 3 } } };
    expect(canonicalJson(engine.params)).toBe('{"a":1,"b":{"c":2,"d":3}}');
    const key = stemCacheKey({ inputSha256: 'f'.repeat(64), engine });
    expect(
      stemCacheKey({
        inputSha256: 'f'.repeat(64),
        engine: { ...engine, params: { b: { d: 3, c: 2 }, a: 1 } },
      }),
    ).toBe(key);
    expect(stemCacheKey({ inputSha256: 'e'.repeat(64), engine })).not.toBe(key);
    expect(stemCacheKey({ inputSha256: 'f'.repeat(64), engine: { ...engine, version: '2' } })).not.toBe(key);
  });
});

// naming.ts said the earlier instrumental-maker named its no_drums file "(no drum)"; it wrote "(no drums)"
// (its manifest, in the shared samples). docs/migration.md's table of variants says what the earlier version
// named each file and what we name it: checked here against the earlier version's own manifest and our code.
describe("docs/migration.md's variants table", () => {
  const earlier = JSON.parse(
    readFileSync(legacySample('outputs', 'pyout_audio_001', 'manifest.json'), 'utf8'),
  ) as { artist: string; title: string; artifacts: { variant: string; label: string; path: string }[] };
  const page = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'migration.md'), 'utf8');
  const row = (variant: string): string[] => {
    const line = page.split('\n').find((l) => l.startsWith(`| \`${variant}\``));
    return (line ?? '').split('|').map((cell) => cell.trim());
  };
  const ours: Job = {
    job_id: 'x',
    source_type: 'local',
    artist: 'Artist',
    title: 'Title',
    audio_path: 'a.m4a',
  };

  it.each(['instrumental', 'no_drums', 'drums_only'])(
    '%s: names and labels as each version has them',
    (variant) => {
      const [, , then, here] = row(variant);
      const theirs = earlier.artifacts.find((a) => a.variant === variant)!;
      const theirName = theirs.path
        .slice('files/audio/'.length)
        .replace(`${earlier.artist} - ${earlier.title}`, 'Artist - Title');
      expect(then).toContain(`\`${theirName}\`; \`${theirs.label}\``);
      const ourName = audioPath(ours, variant, 'm4a').slice('files/audio/'.length);
      expect(here).toContain(`\`${ourName}\`; \`${variantLabel(variant, undefined)}\``);
    },
  );

  it('the earlier no_drums name is "(no drums)", which output.suffixes gives ours as imk migrate writes it', () => {
    const theirs = earlier.artifacts.find((a) => a.variant === 'no_drums')!;
    expect(theirs.path).toBe(`files/audio/${earlier.artist} - ${earlier.title} (no drums).m4a`);
    const job = { ...ours, artist: earlier.artist, title: earlier.title };
    expect(audioPath(job, 'no_drums', 'm4a', undefined, { suffixes: { no_drums: ' (no drums)' } })).toBe(
      theirs.path,
    );
    expect(audioPath(job, 'no_drums', 'm4a')).not.toBe(theirs.path);
  });
});
