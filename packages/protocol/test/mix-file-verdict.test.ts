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

  it("the job's own files are refused, by name, and by file name when the format is known", () => {
    expect(mixFileVerdict(saved, { variant: 'instrumental', stems: { bass: 1 } })).toMatchObject({
      kind: 'own',
      field: 'variant',
    });
    expect(mixFileVerdict(saved, { variant: 'no_drum', stems: { bass: 1 } })).toMatchObject({ kind: 'own' });
    // Without the format (an earlier manifest) only the worker, which knows it, can tell the file name.
    const noFormat = { ...saved, options: { variants: ['instrumental', 'no_drums'] } };
    expect(mixFileVerdict(noFormat, { variant: 'no_drum', stems: { bass: 1 } })).toBeUndefined();
    expect(mixFileVerdict(noFormat, { variant: 'no_drum', stems: { bass: 1 } }, 'flac')).toMatchObject({
      kind: 'own',
    });
    // A saved mix's file is found whatever the manifest says of the format.
    expect(mixFileVerdict(noFormat, { variant: 'slow', tempo: 0.9, stems: { bass: 1 } })).toMatchObject({
      kind: 'same',
    });
  });
});
