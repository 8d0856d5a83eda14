import { join } from 'node:path';

/**
 * The notifier's folder under `state/` (ImkPaths.state): `outbox/` holds one JSON file per event still to be
 * sent (written atomically, claimed by rename), `results.jsonl` the outcome of every try, newest last,
 * `refresh-owed/<server>.json` the paths a media server missed while it was down.
 */
export function notifyDir(stateDir: string): string {
  return join(stateDir, 'notify');
}
export const outboxDir = (stateDir: string): string => join(notifyDir(stateDir), 'outbox');
export const sendingDir = (stateDir: string): string => join(notifyDir(stateDir), 'sending');
/**
 * The prefix of a private folder (mkdtemp) made in `state/notify/` for a moment and removed at once: its
 * mtime is "now" on the clock of the file system `state/` is on (outboxClock), on which retry times and
 * claim ages are measured (hidden; nothing lists state/notify/ itself).
 */
export { CLOCK_CHECK_PREFIX } from '@imk/fs-safe';
export const resultsFile = (stateDir: string): string => join(notifyDir(stateDir), 'results.jsonl');
export const scratchDir = (stateDir: string): string => join(notifyDir(stateDir), 'tmp');
export const refreshOwedDir = (stateDir: string): string => join(notifyDir(stateDir), 'refresh-owed');
