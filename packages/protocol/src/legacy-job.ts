import { z } from 'zod';
import { ProducerSchema } from './common.ts';
/**
 * Fields of the earlier version's `job.json` that its consumer read as absent when null (and, for the paths,
 * when empty: `if data["audio_path"]`); a producer that wrote its dataclass whole (`asdict`) wrote them so.
 */
// The Deezer fields too: a bundle written whole by a dataclass holds `audio_files: null` when it has one song.
const ABSENT_WHEN_NULL = [
  'artist',
  'album',
  'title',
  'audio_path',
  'video_path',
  'cover_path',
  'audio_files',
  'tracks',
  'deemix',
] as const;
const ABSENT_WHEN_EMPTY = new Set<string>(['audio_path', 'video_path', 'cover_path']);

/**
 * Where a legacy job.json read leniently keeps what was changed (one line per field, naming the field, the
 * value as written and what was used instead): bundleSongs copies them into the song's warnings, so they
 * reach the manifest and the log. Only set on documents without `schema_version`.
 */
export const LEGACY_READ_NOTES = 'legacy_read_notes';

/** The notes a lenient legacy read left on a job (see LEGACY_READ_NOTES); none for ours. */
export function legacyReadNotes(job: object): string[] {
  const notes = (job as Record<string, unknown>)[LEGACY_READ_NOTES];
  return Array.isArray(notes) ? notes.filter((n): n is string => typeof n === 'string') : [];
}

/** The tags and ids the earlier consumer used as Python values: `f"{title}"` made text of a number. */
const TEXT_FIELDS = ['job_id', 'artist', 'album', 'title'] as const;
const YOUTUBE_TEXT = ['video_id', 'url', 'channel', 'title'] as const;
const DURATION_CHECKS = ['pass', 'fail', 'skipped'];

const shown = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** Our informational fields, checked as JobSchema checks them (job.ts). */
const OUR_INFO_FIELDS: [string, z.ZodType][] = [
  ['created_at', z.iso.datetime({ offset: true })],
  ['producer', ProducerSchema],
];

type Note = (field: string, value: unknown, used: string) => void;

/**
 * Its Deezer producer's `tracks[]` (tags of each file of `audio_files`), which its consumer never read: a
 * number as a tag is its text, a number written as text is a length, and anything else that cannot be read
 * as what it says (an entry that is no object, a list as a title) is absent, each noted.
 */
function lenientTracks(tracks: unknown, note: Note): unknown[] | undefined {
  if (!Array.isArray(tracks)) {
    note('tracks', tracks, 'absent');
    return undefined;
  }
  return tracks.map((entry: unknown, i) => {
    if (!isObject(entry)) {
      note(`tracks.${i}`, entry, '{} (no tags)');
      return {};
    }
    const track: Record<string, unknown> = { ...entry };
    for (const key of ['title', 'artist', 'album', 'filename']) {
      const value = track[key];
      if (value === undefined || value === null || typeof value === 'string') continue;
      track[key] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
      note(`tracks.${i}.${key}`, value, track[key] === undefined ? 'absent' : shown(track[key]));
    }
    const duration = track.duration_sec;
    if (
      duration !== undefined &&
      duration !== null &&
      !(typeof duration === 'number' && Number.isFinite(duration))
    ) {
      const seconds = typeof duration === 'string' ? numberOfText(duration) : undefined;
      track.duration_sec = seconds ?? null;
      note(`tracks.${i}.duration_sec`, duration, seconds === undefined ? 'absent' : String(seconds));
    }
    return track;
  });
}
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A number written as text (`"212.5"`, `" 212 "`): the number; anything else undefined. */
function numberOfText(value: string): number | undefined {
  const trimmed = value.trim();
  if (trimmed === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A parsed `job.json` as the earlier version read it: in a document without `schema_version`, a `null` tag,
 * path or Deezer list (or an empty path) is the same as none. Documents with `schema_version` are returned as they are.
 *
 * Its consumer read only the id, tags and paths (`data.get(...)`, any Python value) and never looked at
 * `youtube` or `validation`, so its producers' other shapes were accepted there. Here, in a legacy document:
 * a number (or true/false) as `job_id` or a tag is its text; `source_type` null or absent is `"unknown"`;
 * in `youtube`, a number as text is a number (`online_duration_sec: "212.5"`) and a number is text
 * (`video_id: 12345`); `validation.duration_checks` in any case (`"PASS"`) is the lowercase word. What
 * cannot be read (`online_duration_sec: "3:32"`, `youtube: "abc"`) is read as absent. Every change is noted
 * (LEGACY_READ_NOTES) with the value as written: nothing is dropped without a word.
 */
export function readAsLegacyJob(json: unknown): unknown {
  if (!isObject(json) || 'schema_version' in json) return json;
  const job: Record<string, unknown> = { ...json };
  for (const key of ABSENT_WHEN_NULL)
    if (job[key] === null || (ABSENT_WHEN_EMPTY.has(key) && job[key] === '')) delete job[key];
  // What reading its bytes noted already (a job.json that is not UTF-8, read as Latin-1).
  const notes: string[] = legacyReadNotes(json);
  const note: Note = (field, value, used) =>
    notes.push(`job.json ${field}: ${shown(value)} (as the earlier version wrote it) was read as ${used}`);

  for (const key of TEXT_FIELDS) {
    const value = job[key];
    if (typeof value === 'number' || typeof value === 'boolean') {
      job[key] = String(value);
      note(key, value, shown(job[key]));
    } else if (key !== 'job_id' && typeof value === 'object' && value !== null) {
      // A list or an object as a tag (its consumer made text of any value): no tag; the file's are used.
      delete job[key];
      note(key, value, 'absent');
    }
  }
  // Fields of ours its consumer never read (a producer of its time may have written them its own way, a
  // Python `datetime.isoformat()` without an offset, a name for `producer`): only what they say is lost.
  for (const [key, schema] of OUR_INFO_FIELDS) {
    if (job[key] === undefined || schema.safeParse(job[key]).success) continue;
    note(key, job[key], 'absent (the earlier version never read it)');
    delete job[key];
  }
  if (job.tracks !== undefined) job.tracks = lenientTracks(job.tracks, note);
  const sourceType = job.source_type;
  if (sourceType === undefined || sourceType === null || sourceType === '') {
    job.source_type = 'unknown';
    if (sourceType === undefined) notes.push('job.json has no source_type; it was read as "unknown"');
    else note('source_type', sourceType, '"unknown"');
  } else if (typeof sourceType === 'number' || typeof sourceType === 'boolean') {
    job.source_type = String(sourceType);
    note('source_type', sourceType, shown(job.source_type));
  }

  if (job.youtube !== undefined && job.youtube !== null) {
    if (!isObject(job.youtube)) {
      note('youtube', job.youtube, 'absent');
      delete job.youtube;
    } else {
      const youtube: Record<string, unknown> = { ...job.youtube };
      for (const key of YOUTUBE_TEXT) {
        const value = youtube[key];
        if (value === undefined || value === null || typeof value === 'string') continue;
        youtube[key] = typeof value === 'number' ? String(value) : null;
        note(`youtube.${key}`, value, youtube[key] === null ? 'absent' : shown(youtube[key]));
      }
      const duration = youtube.online_duration_sec;
      if (
        duration !== undefined &&
        duration !== null &&
        !(typeof duration === 'number' && Number.isFinite(duration))
      ) {
        const seconds = typeof duration === 'string' ? numberOfText(duration) : undefined;
        youtube.online_duration_sec = seconds ?? null;
        note('youtube.online_duration_sec', duration, seconds === undefined ? 'absent' : String(seconds));
      }
      job.youtube = youtube;
    }
  }

  if (job.validation !== undefined && job.validation !== null) {
    if (!isObject(job.validation)) {
      note('validation', job.validation, 'absent');
      delete job.validation;
    } else {
      const validation: Record<string, unknown> = { ...job.validation };
      const checks = validation.duration_checks;
      if (checks !== undefined && checks !== null && !DURATION_CHECKS.includes(checks as string)) {
        const word = typeof checks === 'string' ? checks.trim().toLowerCase() : undefined;
        validation.duration_checks = word !== undefined && DURATION_CHECKS.includes(word) ? word : null;
        note(
          'validation.duration_checks',
          checks,
          validation.duration_checks === null ? 'absent' : shown(validation.duration_checks),
        );
      }
      const details = validation.details;
      if (details !== undefined && details !== null && !isObject(details)) {
        validation.details = { value: details };
        note('validation.details', details, shown(validation.details));
      }
      job.validation = validation;
    }
  }
  if (notes.length > 0) job[LEGACY_READ_NOTES] = notes;
  return job;
}
