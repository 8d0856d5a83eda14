import type { ImkPaths } from '@imk/config';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  /** One line: what was found ("yt-dlp 2025.06.30 at /usr/bin/yt-dlp"). */
  summary: string;
  /** The command or step that fixes the problem (for warn and fail). */
  fix?: string | undefined;
}

export interface DoctorContext {
  paths: ImkPaths;
  env: NodeJS.ProcessEnv;
  now: Date;
}

/** One thing `imk doctor` checks. Services export theirs as `doctorChecks`. */
export interface DoctorCheck {
  /** Stable id, e.g. "yt-dlp", "queues-writable". */
  id: string;
  /** Short human name shown in the report. */
  title: string;
  /** Who needs it: "system", "retrievers", "worker", "sync", … */
  group: string;
  /** A failing required check makes doctor exit non-zero; an optional one (deemix) only warns. */
  required: boolean;
  run(context: DoctorContext): Promise<CheckResult>;
  /**
   * For a check of a running service whose answer changes at a moment the service knows (a config file read
   * again): calls `onChange` then, so the service's health is looked at again at once rather than at the
   * next periodic look, a minute later. Returns the unsubscribe.
   */
  watch?(onChange: () => void): () => void;
}
