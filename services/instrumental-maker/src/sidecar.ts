import { yamlDepth } from '@imk/config';
import { MAX_JSON_DEPTH, lstatAnySpelling, readUntrustedText, resolveInside } from '@imk/fs-safe';
import { parse as parseYaml, type ScalarTag } from 'yaml';
import { z } from 'zod';
import { ImkError, oneIssuePerField } from '@imk/errors';
import {
  PITCH_LIMITS,
  STEM_NAMES,
  SampleRateSchema,
  TEMPO_LIMITS,
  sidecarCandidates,
  type AudioFormat,
  type StemName,
} from '@imk/protocol';
import './errors.ts';

const PITCH_EXPECTED = `expected ${PITCH_LIMITS.min} to +${PITCH_LIMITS.max} semitones`;
const TEMPO_EXPECTED = `expected ${TEMPO_LIMITS.min} to ${TEMPO_LIMITS.max.toFixed(1)}`;

/**
 * The per-song options file beside the audio: `song.m4a.yaml`, `song.yaml`, or the earlier version's
 * `song.stems.yml` (each also `.yml` / `.yaml`).
 */
export interface SidecarOptions {
  /** The file read, relative to the bundle. */
  file: string;
  model?: string;
  /** Stem files to keep (our `stems:` key). */
  keepStems?: StemName[];
  /**
   * The earlier version's `keep_stems: [D, B, O]`: the stems that make the instrumental (summed), not stem
   * files to keep.
   */
  instrumentalStems?: StemName[];
  format?: AudioFormat;
  sampleRate?: number;
  bitDepth?: 16 | 24 | 32;
  targetLufs?: number;
  truePeak?: number;
  twoPass?: boolean;
  variants?: string[];
  /** Semitones every variant is transposed by. */
  pitch?: number;
  /** Speed factor of every variant (pitch kept). */
  tempo?: number;
  /** Keys the file has that mean nothing here (kept as a warning, not an error). */
  unknownKeys: string[];
  /**
   * What was read otherwise than written (a codec the earlier version's schema allowed that is not made
   * here, a number written as text), one line each naming the file, the field, the value and what was
   * used: the job goes on, and these go into its manifest's warnings and the log.
   */
  warnings: string[];
}

const STEM_LETTERS: Record<string, StemName> = { V: 'vocals', D: 'drums', B: 'bass', O: 'other' };
const STEM_WORDS = new Set<string>(STEM_NAMES);
const CODECS: Record<string, AudioFormat> = {
  m4a: 'm4a',
  aac: 'm4a',
  mp3: 'mp3',
  flac: 'flac',
  wav: 'wav',
  pcm: 'wav',
};

/**
 * Codecs the earlier version's sidecar schema allowed (`stems.schema.yml`: flac, wav, mp3, opus, m4a, alac,
 * ogg) that are not made here, and what is made instead: the job goes on with a warning. alac was its
 * lossless choice: flac is lossless too; opus and ogg were lossy: m4a (AAC) is the lossy format here.
 */
const EARLIER_CODECS: Record<string, AudioFormat> = { alac: 'flac', opus: 'm4a', ogg: 'm4a', vorbis: 'm4a' };

/** The keys whose value is a number, top level and under `mix:` (a quoted one is read as the number). */
const NUMBER_KEYS = ['sample_rate', 'bit_depth', 'target_lufs', 'true_peak', 'pitch', 'tempo'];
const MIX_NUMBER_KEYS = ['target_lufs', 'true_peak'];

/** A number written as text (`"44100"`, `" -14 "`, `"-1.0"`): the number; anything else undefined. */
function numberOfText(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Yes-or-no words written as text (`dual_pass_loudnorm: "true"`, `'false'`, `"yes"`): the earlier version
 * took any quoted value there (Python's `bool(...)` of the text, never an error), so such files are
 * taken here too. The words of its yes/no settings (its env_bool: 1, true, yes, on) and their opposites
 * are read for what they say; other text is refused, naming the field and what to write. (Its `bool()`
 * made `"false"` and `"no"` true as well: the defect is not kept, a warning says what was read.)
 */
const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** The keys of an object schema whose value is a plain boolean (under .optional()): read from the schema. */
function booleanKeys(shape: Record<string, z.ZodType>): string[] {
  return Object.entries(shape)
    .filter(([, field]) => {
      const inner = field instanceof z.ZodOptional ? (field.unwrap() as z.ZodType) : field;
      return inner instanceof z.ZodBoolean;
    })
    .map(([key]) => key);
}

/**
 * Numbers quoted in the file (`sample_rate: "44100"`, `mix: { target_lufs: "-14" }`) are read as the
 * numbers they say, and yes/no words quoted where a boolean goes (`two_pass: "yes"`, `mix: {
 * dual_pass_loudnorm: 'false' }`) as the boolean they say, each noted in `warnings`; other text in a
 * number's place is left for the schema to name, and in a boolean's place refused here.
 */
function unquoteScalars(
  file: string,
  raw: Record<string, unknown>,
  warnings: string[],
): Record<string, unknown> {
  const fix = (
    doc: Record<string, unknown>,
    keys: { numbers: string[]; booleans: string[] },
    prefix: string,
  ): Record<string, unknown> => {
    const out = { ...doc };
    for (const key of keys.numbers) {
      const value = out[key];
      if (typeof value !== 'string') continue;
      const n = numberOfText(value);
      if (n === undefined) continue;
      out[key] = n;
      warnings.push(`${file}: ${prefix}${key}: ${JSON.stringify(value)} is text; the number ${n} was used`);
    }
    for (const key of keys.booleans) {
      const value = out[key];
      if (typeof value !== 'string') continue;
      const word = value.trim().toLowerCase();
      const yes = TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
      if (yes === undefined)
        throw invalid(file, `${prefix}${key}`, 'expected true or false, written without quotes', value);
      out[key] = yes;
      warnings.push(
        `${file}: ${prefix}${key}: ${JSON.stringify(value)} is text; ${yes} was used (write ${yes} without quotes)`,
      );
    }
    return out;
  };
  const out = fix(raw, { numbers: NUMBER_KEYS, booleans: BOOLEAN_KEYS }, '');
  const mix = out.mix;
  if (typeof mix === 'object' && mix !== null && !Array.isArray(mix))
    out.mix = fix(
      mix as Record<string, unknown>,
      { numbers: MIX_NUMBER_KEYS, booleans: MIX_BOOLEAN_KEYS },
      'mix.',
    );
  return out;
}

/**
 * The earlier version read sidecars with PyYAML (YAML 1.1), where yes/no and on/off (lower, Capital or
 * UPPER case) are booleans: its users wrote `dual_pass_loudnorm: yes`, which YAML 1.2 reads as text.
 * Only those words: PyYAML does not take y/n as booleans, and a quoted "yes" stays text.
 */
const PYYAML_BOOL: ScalarTag = {
  tag: 'tag:yaml.org,2002:bool',
  default: true,
  identify: (value) => typeof value === 'boolean',
  test: /^(?:yes|Yes|YES|on|On|ON|no|No|NO|off|Off|OFF)$/,
  resolve: (text) => /^(?:yes|on)$/i.test(text),
};

const StemsSchema = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^[VDBOvdbo\s,]*$/, 'use the letters V (vocals), D (drums), B (bass), O (other), e.g. "VDBO"'),
  z.array(z.string()),
]);

const LOUDNESS = {
  target_lufs: z
    .number()
    .min(-30, 'must be between -30 and -5 LUFS')
    .max(-5, 'must be between -30 and -5 LUFS')
    .optional(),
  true_peak: z
    .number()
    .min(-6, 'must be between -6 and 0 dBTP')
    .max(0, 'must be between -6 and 0 dBTP')
    .optional(),
};

const SidecarSchema = z.looseObject({
  model: z.string().min(1).optional(),
  engine: z.string().min(1).optional(),
  stems: z.union([StemsSchema, z.looseObject({ keep: StemsSchema })]).optional(),
  keep_stems: StemsSchema.optional(),
  codec: z.string().optional(),
  format: z.string().optional(),
  sample_rate: SampleRateSchema.optional(),
  bit_depth: z
    .union([z.literal(16), z.literal(24), z.literal(32)], { error: 'expected 16, 24 or 32' })
    .optional(),
  ...LOUDNESS,
  // The earlier version's example nests loudness under mix:.
  mix: z.looseObject({ ...LOUDNESS, dual_pass_loudnorm: z.boolean().optional() }).optional(),
  two_pass: z.boolean().optional(),
  two_pass_loudnorm: z.boolean().optional(),
  loudnorm_two_pass: z.boolean().optional(),
  variants: z.array(z.string()).optional(),
  pitch: z.number().min(PITCH_LIMITS.min, PITCH_EXPECTED).max(PITCH_LIMITS.max, PITCH_EXPECTED).optional(),
  tempo: z.number().min(TEMPO_LIMITS.min, TEMPO_EXPECTED).max(TEMPO_LIMITS.max, TEMPO_EXPECTED).optional(),
});
const KNOWN_KEYS = new Set(Object.keys(SidecarSchema.shape));
const BOOLEAN_KEYS = booleanKeys(SidecarSchema.shape);
const MIX_BOOLEAN_KEYS = booleanKeys(SidecarSchema.shape.mix.unwrap().shape);

// The names a sidecar may have are a contract of the protocol (the inbox looks for them too).
export { sidecarCandidates };

function invalid(file: string, field: string, message: string, found?: unknown): ImkError {
  const shown = found === undefined ? '' : ` (found ${JSON.stringify(found)})`;
  return new ImkError(
    'SIDECAR_INVALID',
    `per-song options ${file}: ${field}: ${message}${shown}; fix or remove the file and publish the job again`,
    { details: { file, field } },
  );
}

function stemsFrom(file: string, field: string, value: z.infer<typeof StemsSchema>): StemName[] {
  if (value === true) return ['vocals', 'drums', 'bass', 'other'];
  if (value === false) return [];
  const items = typeof value === 'string' ? [...value.replace(/[\s,]/g, '').toUpperCase()] : value;
  const stems = new Set<StemName>();
  for (const item of items) {
    const stem =
      STEM_LETTERS[item.toUpperCase()] ??
      (STEM_WORDS.has(item.toLowerCase()) ? item.toLowerCase() : undefined);
    if (stem === undefined)
      throw invalid(file, field, `stems are V, D, B, O (or ${STEM_NAMES.join(', ')})`, item);
    stems.add(stem as StemName);
  }
  return [...stems];
}

/**
 * A key left without a value (`model:`, `mix:` or `  target_lufs:` with nothing after it, `~`, `null`) is
 * YAML's null: not set, as in the earlier version's documents (its job.json's nulls are absent too), so our
 * default stays. Before, any such key failed the job ("expected string, received null").
 */
function withoutNulls(value: object): object {
  if (Array.isArray(value)) return value as unknown[];
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === null) continue;
    if (typeof item !== 'object' || Array.isArray(item)) {
      out[key] = item;
      continue;
    }
    const kept = withoutNulls(item);
    // A mapping whose every key was left blank (`stems: { keep: }`) is not set either.
    if (Object.keys(item).length === 0 || Object.keys(kept).length > 0) out[key] = kept;
  }
  return out;
}

/** Parses the text of a sidecar file; errors name the file and the field. Pure (no file access). */
export function parseSidecar(file: string, text: string): SidecarOptions {
  let raw: unknown;
  // Nesting of every style ([[[…, - - - …) is counted before the document is composed (yamlDepth): a sidecar
  // is flat, 64 levels is plenty.
  if (yamlDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new ImkError(
      'SIDECAR_INVALID',
      `per-song options ${file} nests more than ${MAX_JSON_DEPTH} levels deep`,
      { details: { file } },
    );
  try {
    raw = parseYaml(text, { customTags: (tags) => [...tags, PYYAML_BOOL] }) ?? {};
  } catch (error) {
    throw new ImkError(
      'SIDECAR_INVALID',
      `per-song options ${file} is not valid YAML: ${(error as Error).message}`,
      {
        cause: error,
        details: { file },
      },
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(file, '(top level)', 'expected a mapping such as "stems: VDBO"', raw);
  const warnings: string[] = [];
  raw = unquoteScalars(file, withoutNulls(raw) as Record<string, unknown>, warnings);
  const parsed = SidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = oneIssuePerField(parsed.error.issues, SidecarSchema)[0]!;
    const field = issue.path.map(String).join('.') || '(top level)';
    throw invalid(file, field, issue.message, (raw as Record<string, unknown>)[String(issue.path[0])]);
  }
  const s = parsed.data;
  const options: SidecarOptions = {
    file,
    unknownKeys: Object.keys(s).filter((key) => !KNOWN_KEYS.has(key)),
    warnings,
  };
  const model = s.model ?? s.engine;
  if (model !== undefined) options.model = model;
  if (s.stems !== undefined) {
    const nested = typeof s.stems === 'object' && !Array.isArray(s.stems);
    options.keepStems = nested
      ? stemsFrom(file, 'stems.keep', (s.stems as { keep: z.infer<typeof StemsSchema> }).keep)
      : stemsFrom(file, 'stems', s.stems as z.infer<typeof StemsSchema>);
  }
  if (s.keep_stems !== undefined) {
    // The earlier version's meaning: these stems make the output ("[D, B, O]: drop vocals").
    const stems = stemsFrom(file, 'keep_stems', s.keep_stems);
    if (stems.length === 0)
      throw invalid(
        file,
        'keep_stems',
        'name the stems that make the instrumental, e.g. [D, B, O]',
        s.keep_stems,
      );
    options.instrumentalStems = stems;
  }
  const codec = s.codec ?? s.format;
  if (codec !== undefined) {
    const field = s.codec === undefined ? 'format' : 'codec';
    const word = codec.trim().toLowerCase();
    const format = CODECS[word];
    const instead = EARLIER_CODECS[word];
    if (format !== undefined) options.format = format;
    else if (instead !== undefined) {
      options.format = instead;
      warnings.push(
        `${file}: ${field}: ${JSON.stringify(codec)} is not made here; ${instead} was used instead` +
          ` (${instead === 'flac' ? 'lossless, as ' + word + ' is' : 'lossy AAC'}; one of ${Object.keys(CODECS).join(', ')} chooses)`,
      );
    } else
      throw invalid(
        file,
        field,
        `expected one of ${[...Object.keys(CODECS), ...Object.keys(EARLIER_CODECS)].join(', ')}`,
        codec,
      );
  }
  if (s.sample_rate !== undefined) options.sampleRate = s.sample_rate;
  if (s.bit_depth !== undefined) options.bitDepth = s.bit_depth;
  const targetLufs = s.mix?.target_lufs ?? s.target_lufs;
  if (targetLufs !== undefined) options.targetLufs = targetLufs;
  const truePeak = s.mix?.true_peak ?? s.true_peak;
  if (truePeak !== undefined) options.truePeak = truePeak;
  const twoPass = s.mix?.dual_pass_loudnorm ?? s.two_pass ?? s.two_pass_loudnorm ?? s.loudnorm_two_pass;
  if (twoPass !== undefined) options.twoPass = twoPass;
  if (s.variants !== undefined) options.variants = s.variants;
  if (s.pitch !== undefined) options.pitch = s.pitch;
  if (s.tempo !== undefined) options.tempo = s.tempo;
  return options;
}

/** Largest sidecar accepted: a few lines of YAML. */
export const SIDECAR_MAX_BYTES = 64 * 1024;

/**
 * Finds and parses the sidecar of `inputPath` inside the bundle `dir`, or undefined when there is none.
 * Read through fs-safe: every path component stays inside the bundle, and a FIFO, a device, a link to
 * one or an oversized file is refused with a reason naming it (never blocks, never retried).
 */
export async function readSidecar(dir: string, inputPath: string): Promise<SidecarOptions | undefined> {
  const found: string[] = [];
  for (const name of sidecarCandidates(inputPath)) {
    // "Björk.stems.yml" typed in NFC beside "Bjo\u0308rk.wav" copied from a Mac is still its options file.
    const path = (await lstatAnySpelling(dir, name))?.path;
    if (path !== undefined && !found.includes(path)) found.push(path);
  }
  const [candidate, ...unread] = found;
  if (candidate !== undefined) {
    let text: string;
    try {
      const real = await resolveInside(dir, candidate, { rootName: 'the bundle' });
      text = await readUntrustedText(real, { name: candidate, maxBytes: SIDECAR_MAX_BYTES, within: dir });
    } catch (error) {
      throw new ImkError('SIDECAR_INVALID', `sidecar ${(error as Error).message}`, {
        cause: error,
        details: { file: candidate },
      });
    }
    const options = parseSidecar(candidate, text);
    // Two options files for one song: the one not read was edited in vain, without a word.
    if (unread.length > 0)
      options.warnings.push(
        `${unread.join(', ')} ${unread.length === 1 ? 'is' : 'are'} not read: one options file is read per song, ${candidate} (the first of ${sidecarCandidates(inputPath).join(', ')})`,
      );
    return options;
  }
  return undefined;
}
