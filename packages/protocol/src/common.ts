import { z } from 'zod';

/** The document version this code writes. Documents without `schema_version` are legacy and still accepted. */
export const SCHEMA_VERSION = 1;

const WINDOWS_DRIVE = /^[a-zA-Z]:/;

/**
 * A path inside a bundle or an output folder: relative, `/`-separated, no `..`, no empty segment,
 * nothing absolute. Symlinks that leave the bundle are checked on disk by `validateBundleDir`.
 */
export const BundlePathSchema = z
  .string()
  .min(1)
  .max(1024)
  .overwrite(normaliseBundlePath)
  .superRefine((value, ctx) => {
    const problem = bundlePathProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('A file name inside the bundle (relative, no "..", not absolute).');

/**
 * A path in a document of the earlier version (no `schema_version`): as BundlePathSchema, except that a
 * backslash is a character of a name, as it is on Linux where that version wrote them (a title such as
 * "AC\DC" or "¯\_(ツ)_/¯" kept it in the file name). Documents with `schema_version` use "/" only.
 */
export const LegacyPathSchema = z
  .string()
  .min(1)
  .max(1024)
  .overwrite(normaliseBundlePath)
  .superRefine((value, ctx) => {
    const problem = bundlePathProblem(value, { legacy: true });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('A file name inside the bundle (relative, no "..", not absolute).');

export interface BundlePathOptions {
  /**
   * The earlier version's documents: it ran on Linux and kept every character of a title but "/" in the
   * names it wrote (`sanitize_filename`), so a backslash is part of a name there ("AC\DC - …"), not a
   * separator. @default false
   */
  legacy?: boolean;
}

/**
 * A path as a document may spell it, in the plain form every reader uses: `./a.wav` → `a.wav`,
 * `files/./x.m4a` and `files//x.m4a` → `files/x.m4a` (a hand-written job.json, a script's `os.path.join`
 * of "." and a name). Only what names the same file inside the bundle is dropped: a leading "/" (absolute),
 * a trailing "/" or "." (a folder), ".." and a lone "." are kept, for bundlePathProblem to refuse.
 */
export function normaliseBundlePath(value: string): string {
  const segments = value.split('/');
  if (segments.length < 2) return value;
  const last = segments.length - 1;
  const kept = segments.filter(
    (segment, index) => !((segment === '.' && index < last) || (segment === '' && index > 0 && index < last)),
  );
  const plain = kept.join('/');
  return plain === '' ? value : plain;
}

/**
 * What is wrong with a path of a document as a name inside the bundle (or output folder), or undefined. It
 * checks the plain form (normaliseBundlePath, which the schemas apply first): what a producer of ours
 * writes, and what every reader gets.
 */
export function bundlePathProblem(value: string, options: BundlePathOptions = {}): string | undefined {
  if (value.includes('\0')) return 'contains a NUL byte';
  if (value.startsWith('/') || (!options.legacy && value.startsWith('\\')) || WINDOWS_DRIVE.test(value))
    return `"${value}" is an absolute path; name a file inside the bundle instead`;
  if (!options.legacy && value.includes('\\'))
    return `"${value}" contains a backslash; use "/" between folders`;
  const segments = value.split('/');
  if (segments.includes('..')) return `"${value}" contains ".." and could leave the bundle`;
  if (segments.some((segment) => segment === '' || segment === '.'))
    return `"${value}" has an empty or "." segment`;
  return undefined;
}

export const Sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters')
  .describe('SHA-256 of the file, lowercase hex.');

/** The longest job id, in bytes of UTF-8 (the bundle folder `job_<id>@<token>` and the output folder must fit in 255 bytes). */
export const JOB_ID_MAX_LENGTH = 200;

/**
 * A job id is a folder suffix too (`job_<id>/`, `outputs/<id>/`): any text the earlier version's consumer
 * took (`Café del Mar 01`, `日本語の歌`, `My Song (live)`), except what would make it no folder name here or
 * break the queue's names: no `/` or `\` (a path), no `@` (it ends the id in `job_<id>@<token>`), no control
 * character, not starting with `.` (hidden: partial and claim folders) or a space, not ending in a space.
 */
// eslint-disable-next-line no-control-regex
const JOB_ID_PATTERN = /^(?![.\s])[^\u0000-\u001f\u007f-\u009f/\\@]*[^\u0000-\u001f\u007f-\u009f/\\@\s]$/u;

export const JobIdSchema = z
  .string()
  .regex(
    JOB_ID_PATTERN,
    'expected a name without "/", "\\", "@" or control characters, not starting with "." or a space and not ending in a space',
  )
  .refine(
    (id) => Buffer.byteLength(id) <= JOB_ID_MAX_LENGTH,
    `expected at most ${JOB_ID_MAX_LENGTH} bytes (UTF-8)`,
  )
  // `job_<id>.tmp` is the name of a bundle its producer is still writing (fsqueue's names.ts): a ready
  // bundle of such an id would never be claimed, and the temp sweeper would remove it.
  .refine((id) => !id.endsWith('.tmp'), 'must not end in ".tmp" (the queue\'s name for an unfinished bundle)')
  .describe('Unique job id; also the suffix of the bundle folder `job_<id>`.');

export const ProducerSchema = z
  .looseObject({
    name: z.string().describe('Program that wrote the document, e.g. "youtube-retriever".'),
    version: z.string().describe('Its version.'),
    host: z.string().describe('Host name it ran on.'),
  })
  .describe('Who wrote this document.');

export const YoutubeInfoSchema = z
  .looseObject({
    // null where the site gave none (the earlier version wrote yt-dlp's null uploader as it was).
    video_id: z.string().nullable().optional().describe('YouTube video id (null: none given).'),
    url: z.string().nullable().optional().describe('The page URL that was fetched (null: none given).'),
    channel: z.string().nullable().optional().describe('Channel name (null: the site gave none).'),
    title: z.string().nullable().optional().describe('Video title (null: the site gave none).'),
    online_duration_sec: z
      .number()
      .nullable()
      .optional()
      .describe('Duration the site reported (null or absent when it reports none).'),
  })
  .describe('What YouTube said of the video (legacy field, copied into the manifest).');

export const ValidationSchema = z
  .looseObject({
    duration_checks: z
      .enum(['pass', 'fail', 'skipped'])
      .nullable()
      .optional()
      .describe(
        'Downloaded vs online duration (tolerance 2 s or 1 %); skipped when the site gives none (null: not recorded).',
      ),
    details: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .describe('Figures behind the checks (null: none recorded).'),
  })
  .describe('Checks the retriever made (legacy field, copied into the manifest).');

export const STEM_NAMES = ['vocals', 'drums', 'bass', 'other'] as const;
export const StemNameSchema = z.enum(STEM_NAMES);
export type StemName = z.infer<typeof StemNameSchema>;

/** A stem's level in a mix (1: as separated, 0: silent): a remix job's `stems` and a variant recipe's. */
export const STEM_LEVEL_RANGE = { min: 0, max: 4 } as const;
export const StemLevelSchema = z.number().min(STEM_LEVEL_RANGE.min).max(STEM_LEVEL_RANGE.max);

export const AUDIO_FORMATS = ['m4a', 'mp3', 'flac', 'wav'] as const;
export const AudioFormatSchema = z.enum(AUDIO_FORMATS);
export type AudioFormat = z.infer<typeof AudioFormatSchema>;

/** The sample rates an output may be written at, in Hz: a job's `sample_rate` and the config's `output.sampleRate`. */
export const SAMPLE_RATE_RANGE = { min: 8000, max: 192000 } as const;
export const SampleRateSchema = z.number().int().min(SAMPLE_RATE_RANGE.min).max(SAMPLE_RATE_RANGE.max);
