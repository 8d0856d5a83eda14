/** One setting written by `imk migrate`: a value at a path of one of our config files, with why. */
export interface LegacyChange {
  /** Config file name without `.yaml` (e.g. `instrumental-maker`, `paths`, `nas-sync`). */
  file: string;
  path: (string | number)[];
  value: unknown;
  /** Written beside the value in the file: where it came from and what differs. */
  comment: string;
  /**
   * The value is a file or folder of the host imk runs on (not of a NAS): the earlier version's .env gave
   * its container's paths (`/data/working`), so `imk migrate` says so when it does not exist on this host.
   */
  hostPath?: true;
}

/** The earlier version's environment, cleaned as it cleaned it (inline `# comments` stripped). */
export type LegacyEnv = Readonly<Record<string, string>>;

/** What our system does with one variable of the earlier version. */
export interface LegacyKey {
  key: string;
  /** Our setting, in words (`config/instrumental-maker.yaml: loudness.targetLufs`), when there is one. */
  ours?: string;
  /** Why there is no equivalent, when there is none. */
  none?: string;
  /**
   * True when our setting means exactly the same: the variable is then honoured at start-up (with a
   * warning naming our setting) and not only converted by `imk migrate`.
   */
  identical?: boolean;
  /**
   * The value its docker-compose.yml gave the service when the `.env` did not set the variable
   * (`KEY=${KEY:-…}` under `environment:`), where that differs from its code's own default: `imk migrate --env`
   * reads a `.env` as compose did, so a variable it does not set is converted as this value.
   */
  composeDefault?: string;
  /** Its value is a secret: never printed, never written to a file. */
  secret?: boolean;
  /** The changes `imk migrate` writes for this variable's value (all variables are given, for context). */
  convert?: (value: string, env: LegacyEnv) => LegacyChange[] | string;
}
