/**
 * The prefix of a private folder (mkdtemp) made for a moment in a folder of state/ (health/, a cache, a
 * scratch folder, migrate/) or in a cache folder moved by config, and removed at once: its mtime is "now"
 * on the clock that stamps the files there (readHeartbeat, cleanup's ages). Hidden; cleanup never takes it
 * for an entry. Queue folders and outputs/ have their own, spelled by their layouts (fsqueue, protocol).
 */
export const CLOCK_CHECK_PREFIX = '.imk-clock-check-';
