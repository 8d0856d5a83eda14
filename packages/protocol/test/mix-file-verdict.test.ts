import { describe, expect, it } from 'vitest';
import {
  mixFileVerdict,
  savedMixPath,
  type Artifact,
  type AudioFormat,
  type Manifest,
} from '../src/index.ts';

// The one rule the dashboard (before queuing) and the worker (before writing) apply to a saved mix, by the
// file it is written to: the same mix saved again, another mix at a saved mix's file, the job's own file.
const job = { job_id: 'song', artist: 'A', title: 'Song' };
const file = (variant: string, path: string, extra: Partial<Artifact> = {}): Artifact => ({
  kind: 'audio',
  variant,
  label: variant,
  path,
  codec: 'flac',
  container: 'flac',
  duration_sec: 3,
  sha256: 'a'.repeat(64),
  bytes: 1,
  ...extra,
});
const manifest = (
  artifacts: Artifact[],
  format?: AudioFormat,
): Pick<Manifest, 'job_id' | 'artist' | 'title' | 'options' | 'artifacts'> => ({
  ...job,
  options: { variants: ['instrumental', 'no_drums'], ...(format !== undefined && { output_format: format }) },
  artifacts,
});
const mixAt = (base: string, tempo?: number) => savedMixPath(job, { base, tempo }, 'flac');
const saved = manifest(
  [
    file('instrumental', 'files/audio/A - Song.flac'),
    file('no_drums', 'files/audio/A - Song (no drum).flac'),
    file('slow@0.8999x', mixAt('slow', 0.8999), { tempo: 0.8999, stem_gains: { bass: 1, vocals: 0 } }),
    file('duet__mix', mixAt('duet__mix'), { stem_gains: { vocals: 1 } }),
  ],
  'flac',
);

describe('mixFileVerdict', () => {
  it.each([
    ['the same settings', { variant: 'slow', tempo: 0.8999, stems: { bass: 1 } }],
    ['a tempo its file name does not tell apart', { variant: 'slow', tempo: 0.9, stems: { bass: 1 } }],
    ['a name its file name does not tell apart', { variant: 'duet_mix', stems: { vocals: 1, drums: 0 } }],
  ])('the same levels at a saved mix\'s file (%s) are that mix: "same"', (_, remix) => {
    expect(mixFileVerdict(saved, remix)).toMatchObject({ kind: 'same' });
  });

  it('another label is another mix', () => {
    const remix = { variant: 'slow', tempo: 0.8999, stems: { bass: 1 }, label: 'Practice' };
    expect(mixFileVerdict(saved, remix)).toBeUndefined();
  });

  it.each([
    [
      { variant: 'slow', tempo: 0.9, stems: { drums: 1 } },
      'tempo',
      /save it at tempo 0\.8999 to replace that mix/,
    ],
    [{ variant: 'duet_mix', stems: { drums: 1 } }, 'variant', /save it as "duet__mix" to replace that mix/],
  ])(
    "other levels at a saved mix's file under another spelling %o are refused naming %s",
    (remix, field, fix) => {
      const verdict = mixFileVerdict(saved, remix);
      expect(verdict).toMatchObject({ kind: 'other-save', field });
      expect(verdict?.kind === 'other-save' && verdict.problem).toMatch(fix);
    },
  );

  it('the same name at other levels replaces its earlier save (no verdict)', () => {
    expect(mixFileVerdict(saved, { variant: 'slow', tempo: 0.8999, stems: { drums: 1 } })).toBeUndefined();
  });

  it("the job's own files are refused, by name, and by file name also when the manifest does not say the format", () => {
    expect(mixFileVerdict(saved, { variant: 'instrumental', stems: { bass: 1 } })).toMatchObject({
      kind: 'own',
      field: 'variant',
    });
    expect(mixFileVerdict(saved, { variant: 'no_drum', stems: { bass: 1 } })).toMatchObject({ kind: 'own' });
    // Without the format (an earlier manifest) the file name is judged in every format a mix may be written
    // in: the dashboard, which cannot know the worker's, refuses what the worker would (it judged nothing).
    const noFormat = { ...saved, options: { variants: ['instrumental', 'no_drums'] } };
    const verdict = mixFileVerdict(noFormat, { variant: 'no_drum', stems: { bass: 1 } });
    expect(verdict).toMatchObject({ kind: 'own', field: 'variant' });
    expect(verdict?.kind === 'own' && verdict.problem).toBe(
      'the mix "no_drum" would be written under the name of files/audio/A - Song (no drum).flac, which is job song\'s no_drums (no_drums); save the mix under another name',
    );
    // A saved mix's file is found whatever the manifest says of the format.
    expect(mixFileVerdict(noFormat, { variant: 'slow', tempo: 0.9, stems: { bass: 1 } })).toMatchObject({
      kind: 'same',
    });
  });
});

// The earlier version's names ("(no drums)", legacy-samples/outputs/pyout_audio_001) in a manifest that does
// not say the format, in each format the job's files may be in: every spelling a file name cannot tell from
// a file of the job's own is refused, whatever format the worker writes mixes in.
describe("mixFileVerdict, a manifest without the job's format", () => {
  const variants = ['instrumental', 'no_drums', 'drums_only'];
  const names: Record<string, string> = {
    instrumental: '',
    no_drums: ' (no drums)',
    drums_only: ' (drums only)',
  };
  it.each(['m4a', 'mp3', 'flac', 'wav'])('its files in %s', (ext) => {
    const earlier = {
      ...job,
      options: { variants },
      artifacts: variants.map((v) => file(v, `files/audio/A - Song${names[v]}.${ext}`)),
    };
    for (const variant of ['no__drums', 'no-drums', 'drums__only', 'drums-only'])
      expect(mixFileVerdict(earlier, { variant, stems: { bass: 1 } }), variant).toMatchObject({
        kind: 'own',
        field: 'variant',
      });
    expect(mixFileVerdict(earlier, { variant: 'no_drums_slow', stems: { bass: 1 } })).toBeUndefined();
    expect(mixFileVerdict(earlier, { variant: 'no__drums', pitch: -2, stems: { bass: 1 } })).toBeUndefined();
  });
});
