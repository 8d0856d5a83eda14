import { ImkError } from '@imk/errors';
import '../errors.ts';

/** The stems of an NI Stems file after the mixture, in stream order. */
export const STEM_MP4_ORDER = ['drums', 'bass', 'other', 'vocals'] as const;
export type StemMp4Stem = (typeof STEM_MP4_ORDER)[number];

export interface StemManifestStem {
  name: string;
  /** `#RRGGBB` */
  color: string;
}

/** The JSON Native Instruments keeps in moov/udta/stem: player DSP settings and the stems' names and colours. */
export interface StemManifest {
  version: number;
  mastering_dsp: {
    compressor: Record<string, number | boolean>;
    limiter: Record<string, number | boolean>;
  };
  stems: StemManifestStem[];
}

/** Names and colours shown by Traktor and Mixxx (Mixxx's defaults for files without colours). */
export const DEFAULT_STEM_LOOK: Readonly<Record<StemMp4Stem, StemManifestStem>> = {
  drums: { name: 'Drums', color: '#009E73' },
  bass: { name: 'Bass', color: '#D55E00' },
  other: { name: 'Other', color: '#CC79A7' },
  vocals: { name: 'Vocals', color: '#56B4E9' },
};

/** A manifest with the player's mastering DSP switched off: the stems play back as they were encoded. */
export function defaultStemManifest(
  stems: StemManifestStem[] = STEM_MP4_ORDER.map((s) => DEFAULT_STEM_LOOK[s]),
): StemManifest {
  return {
    version: 1,
    mastering_dsp: {
      compressor: {
        enabled: false,
        input_gain: 0,
        output_gain: 0,
        threshold: 0,
        dry_wet: 100,
        attack: 0.003,
        release: 0.3,
        ratio: 2,
        hp_cutoff: 300,
      },
      limiter: { enabled: false, threshold: 0, ceiling: 0, release: 0.05 },
    },
    stems,
  };
}

/** Parses and checks the payload of a `stem` box. */
export function parseStemManifest(payload: Buffer, where: string): StemManifest {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (cause) {
    throw new ImkError('STEM_MANIFEST_INVALID', `the stem box of ${where} is not JSON`, { cause });
  }
  const manifest = value as Partial<StemManifest>;
  if (
    typeof manifest.version !== 'number' ||
    !Array.isArray(manifest.stems) ||
    typeof manifest.mastering_dsp !== 'object'
  ) {
    throw new ImkError(
      'STEM_MANIFEST_INVALID',
      `the stem box of ${where} lacks version, stems or mastering_dsp`,
    );
  }
  return manifest as StemManifest;
}
