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
 * A parsed `job.json` as the earlier version read it: in a document without `schema_version`, a `null` tag,
 * path or Deezer list (or an empty path) is the same as none. Documents with `schema_version` are returned as they are.
 */
export function readAsLegacyJob(json: unknown): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json) || 'schema_version' in json)
    return json;
  const job: Record<string, unknown> = { ...(json as Record<string, unknown>) };
  for (const key of ABSENT_WHEN_NULL)
    if (job[key] === null || (ABSENT_WHEN_EMPTY.has(key) && job[key] === '')) delete job[key];
  return job;
}
