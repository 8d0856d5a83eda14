import { capText } from '@imk/fs-safe';

/** What names a job to a user, beside its id: the artist and title when known. */
export interface JobName {
  artist?: string | null;
  title?: string | null;
}

/** One song of a several-song bundle (a legacy audio_files bundle): its own id and place. */
export interface SongOfJob extends JobName {
  jobId: string;
  index: number;
  of: number;
}

/** Longest artist or title a label repeats (job.json may be untrusted and large). */
const NAME_CAP = 200;

function quotedName(name: JobName): string {
  const text = [name.artist, name.title]
    .filter((part): part is string => typeof part === 'string' && part.trim() !== '')
    // Line breaks and other control characters would break a one-line reason or log line.
    // eslint-disable-next-line no-control-regex
    .map((part) => capText(part.replace(/[\u0000-\u001f\u007f]+/g, ' '), NAME_CAP))
    .join(' - ');
  return text === '' ? '' : `"${text}"`;
}

/**
 * How every message about a job (a failure, a rejection) names it: `job <id> ("Artist - Title")`,
 * `job <id>` when neither is known, and for one song of a several-song bundle
 * `job <id>, song 2 of 3 (<song id>, "Artist - Title")`. `noun` is "remix" for a remix job.
 */
export function jobLabel(
  jobId: string,
  name: JobName | SongOfJob = {},
  noun: 'job' | 'remix' = 'job',
): string {
  const quoted = quotedName(name);
  if ('index' in name) {
    const which = [name.jobId, quoted].filter((part) => part !== '').join(', ');
    return `${noun} ${jobId}, song ${name.index} of ${name.of} (${which})`;
  }
  return quoted === '' ? `${noun} ${jobId}` : `${noun} ${jobId} (${quoted})`;
}

/**
 * The artist and title of a job.json as read, valid or not (a rejected bundle is still named by them when
 * they are strings); an empty name when the document is not an object.
 */
export function jobNameOf(json: unknown): JobName {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return {};
  const doc = json as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { artist: text(doc.artist), title: text(doc.title) };
}
