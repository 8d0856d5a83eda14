import { z } from 'zod';

/** The four things a person is told about. */
export const NOTIFY_EVENTS = ['job.succeeded', 'job.failed', 'sync.delivered', 'sync.failed'] as const;
export type NotifyEventType = (typeof NOTIFY_EVENTS)[number];

/** The config key that turns an event on or off (`events.jobSucceeded: false`). */
export const EVENT_KEYS = {
  'job.succeeded': 'jobSucceeded',
  'job.failed': 'jobFailed',
  'sync.delivered': 'syncDelivered',
  'sync.failed': 'syncFailed',
} as const satisfies Record<NotifyEventType, string>;

/**
 * One event, as sent in the webhook body and kept in the outbox. `title` and `message` are for people
 * (ntfy, apprise); the other fields are for programs. Job fields are snake_case like job.json.
 */
export const NotifyEventSchema = z.object({
  type: z.enum(NOTIFY_EVENTS),
  /** Unique per event: a receiver can drop a repeated delivery (a retry after a lost reply). */
  id: z.string(),
  at: z.string(),
  host: z.string(),
  title: z.string(),
  message: z.string(),
  job_id: z.string().optional(),
  artist: z.string().optional(),
  song_title: z.string().optional(),
  error_code: z.string().optional(),
  /** sync events: how many files, and which (at most 20 are listed). */
  count: z.number().int().optional(),
  files: z.array(z.object({ job_id: z.string(), path: z.string(), error: z.string().optional() })).optional(),
});
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;

/** What a producer says; the notifier adds id, at and host. */
export type NotifyEventInput = Omit<NotifyEvent, 'id' | 'at' | 'host'>;

const song = (artist?: string, title?: string): string =>
  [artist, title].filter((part) => part !== undefined && part !== '').join(' - ');

export interface JobEventFacts {
  jobId: string;
  artist?: string;
  title?: string;
  /** For a failure: the error code and what went wrong. */
  errorCode?: string;
  reason?: string;
  stage?: string;
  /** The outputs folder the job published (its name under outputs/): a mix joins another job's. */
  outputFolder?: string;
}

/** `job.succeeded` / `job.failed` (failed for good: no retry is left). */
export function jobEvent(type: 'job.succeeded' | 'job.failed', facts: JobEventFacts): NotifyEventInput {
  const name = song(facts.artist, facts.title) || facts.jobId;
  const failed = type === 'job.failed';
  return {
    type,
    title: failed ? `Job failed: ${name}` : `Done: ${name}`,
    message: failed
      ? `Job ${facts.jobId} failed for good${facts.stage ? ` at ${facts.stage}` : ''}: ${facts.reason ?? 'unknown error'}`
      : facts.outputFolder !== undefined && facts.outputFolder !== facts.jobId
        ? `Job ${facts.jobId}: its outputs were added to outputs/${facts.outputFolder}/`
        : `Job ${facts.jobId}: instrumental and stems are ready in outputs/${facts.jobId}/`,
    job_id: facts.jobId,
    ...(facts.artist !== undefined && { artist: facts.artist }),
    ...(facts.title !== undefined && { song_title: facts.title }),
    ...(facts.errorCode !== undefined && { error_code: facts.errorCode }),
  };
}

export interface SyncedFile {
  jobId: string;
  /** Where it went (`backend:path`) or, for a failure, the artifact. */
  path: string;
  error?: string;
}

const LISTED_FILES = 20;

/** `sync.delivered` (one per pass that delivered) / `sync.failed` (files that failed for good in a pass). */
export function syncEvent(type: 'sync.delivered' | 'sync.failed', files: SyncedFile[]): NotifyEventInput {
  const jobs = new Set(files.map((file) => file.jobId)).size;
  const what = `${files.length} file${files.length === 1 ? '' : 's'} of ${jobs} job${jobs === 1 ? '' : 's'}`;
  const lines = files.slice(0, LISTED_FILES).map((f) => `${f.path}${f.error ? `: ${f.error}` : ''}`);
  if (files.length > LISTED_FILES) lines.push(`… and ${files.length - LISTED_FILES} more`);
  return {
    type,
    title: type === 'sync.failed' ? `Sync failed: ${what}` : `Synced ${what}`,
    message: lines.join('\n'),
    count: files.length,
    files: files.slice(0, LISTED_FILES).map((f) => ({
      job_id: f.jobId,
      path: f.path,
      ...(f.error !== undefined && { error: f.error }),
    })),
  };
}
