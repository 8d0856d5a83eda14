import { LEGACY_KEYS, NAS_SYNC_SERVICE_KEYS, type LegacyChange, type LegacyEnv } from '@imk/config';

/** What `imk migrate` does with one variable. */
export interface MigrateLine {
  key: string;
  value: string | undefined;
  /**
   * converted: written; covered: another variable's change covers it; none: no equivalent (why); skipped:
   * its value is not usable; kept: the user changed its key since the last `imk migrate` (not replaced).
   */
  outcome: 'converted' | 'covered' | 'none' | 'skipped' | 'kept';
  text: string;
  changes: LegacyChange[];
  /** converted: the values it replaces in the config files as they are now (set before, by hand or a run). */
  replaces?: string[];
  /** converted: every value is already in the config files (the run changes nothing for it). */
  unchanged?: boolean;
  /** converted: the paths of this host it writes that do not exist here (container paths of the earlier setup). */
  notOnHost?: string[];
}

export interface MigratePlan {
  lines: MigrateLine[];
  /** Variables in the file that the earlier version did not read (left alone). */
  unknown: string[];
}

export interface PlanOptions {
  /** The `.env` read (`--env`): read as its docker-compose.yml read it, unset variables as compose passed them. */
  envFile?: string;
}

/** Variables whose conversion runs even when unset, once a variable of its NAS sync service says it was used. */
const NAS_IMPLIED = ['NAS_SYNC_METHOD', 'NAS_SYNC_ROUTES'];

/** An empty text or list: never a setting anyone meant. */
function isEmptySetting(value: unknown): boolean {
  return (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
}

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * What `imk migrate` converts from the earlier version's variables, what has no equivalent and why: pure,
 * from the one table of legacy variables (@imk/config LEGACY_KEYS).
 */
export function planMigration(
  given: LegacyEnv,
  fileKeys: readonly string[] = Object.keys(given),
  options: PlanOptions = {},
): MigratePlan {
  const known = new Set(LEGACY_KEYS.map((entry) => entry.key));
  // Its NAS sync service's own variables, not any NAS_ name: NAS_HOST, NAS_USER, … were its sync-to-nas.sh
  // script's, a user of which never ran that service (nor asked for it here).
  const nasUsed = Object.keys(given).some((key) => NAS_SYNC_SERVICE_KEYS.includes(key));
  // A .env is what its compose file read: a variable the file leaves unset reached the service as compose
  // passed it (NAS_SYNC_ROUTES empty, not its code's default route), so it is converted as that value.
  const composed = (entry: (typeof LEGACY_KEYS)[number]): boolean =>
    options.envFile !== undefined &&
    entry.composeDefault !== undefined &&
    given[entry.key] === undefined &&
    nasUsed &&
    NAS_IMPLIED.includes(entry.key);
  const env: LegacyEnv = {
    ...given,
    ...Object.fromEntries(LEGACY_KEYS.filter(composed).map((entry) => [entry.key, entry.composeDefault!])),
  };
  const lines: MigrateLine[] = [];
  for (const entry of LEGACY_KEYS) {
    const value = env[entry.key];
    const implied = value === undefined && nasUsed && NAS_IMPLIED.includes(entry.key);
    if (value === undefined && !implied) continue;
    const asComposed = composed(entry)
      ? `(not set in ${options.envFile}: its docker-compose.yml passed it on as ${entry.key}=${JSON.stringify(entry.composeDefault)}) `
      : '';
    // A secret's value is never shown (its variable is named instead).
    const base = {
      key: entry.key,
      // (as given: a value read as compose passed it was not in the file)
      value: entry.secret && value ? '(secret, not shown)' : given[entry.key],
      changes: [] as LegacyChange[],
    };
    if (entry.convert) {
      const result = entry.convert(value ?? '', env);
      if (typeof result === 'string') {
        lines.push({
          ...base,
          outcome: result.includes('covered by') ? 'covered' : 'skipped',
          text: `${asComposed}${result}`,
        });
        continue;
      }
      // An empty value (`INCOMING=`, `MODEL=  # note`, `AUDIO_EXTS=,`) never becomes an empty setting: it
      // wrote `inbox.dir: ''` (the root folder), `extensions: []` (no file taken) or a demucs model named ''.
      // The whole variable is left out, as one the earlier version fell back to its default for.
      const empty = result.find((c) => isEmptySetting(c.value));
      if (empty !== undefined) {
        lines.push({
          ...base,
          outcome: 'skipped',
          text: `${entry.key}=${value ?? ''}: empty, so config/${empty.file}.yaml ${empty.path.join('.')} would be empty; nothing written (our default stays)`,
        });
        continue;
      }
      const text = result
        .map((c) => `config/${c.file}.yaml: ${c.path.join('.')} = ${shown(c.value)}  # ${c.comment}`)
        .join('\n    ');
      lines.push({
        ...base,
        outcome: 'converted',
        text: implied ? `(not set: the earlier default) ${text}` : text,
        changes: result,
      });
    } else if (entry.ours !== undefined) {
      lines.push({ ...base, outcome: 'covered', text: `covered by ${entry.ours}` });
    } else {
      lines.push({ ...base, outcome: 'none', text: `no equivalent: ${entry.none ?? ''}` });
    }
  }
  return { lines, unknown: fileKeys.filter((key) => !known.has(key)) };
}
