import type { ImkPaths } from '@imk/config';
import type { FastifyRequest } from 'fastify';
import type { Logger } from '@imk/log';
import type { DiskGuard } from '@imk/ops';
import type { ServiceState } from '@imk/service';

export type { ServiceState } from '@imk/service';
import type { Access } from './auth.ts';
import type { WebConfig } from './config.ts';
import type { JobsView } from './system/jobs.ts';
import type { SyncView } from './system/sync-status.ts';

/** Puts a failed job back into its queue; returns where it went. */
export type RetryJob = (jobId: string) => Promise<{ queue: string; state: string }>;

/** Cancels a queued or running job; says whether it is cancelled already or its worker was asked. */
export type CancelJob = (
  jobId: string,
  reason: string | undefined,
) => Promise<{ queue: string; state: 'cancelled' | 'cancel-requested' }>;

/** Everything the routes need, built once by createWebServer. */
export interface WebContext {
  paths: ImkPaths;
  config: WebConfig;
  logger: Logger;
  jobs: JobsView;
  sync: SyncView;
  diskGuard: DiskGuard | undefined;
  /** The services running in this process (`imk up`), or just `web`. */
  services: () => ServiceState[];
  retry: RetryJob | undefined;
  cancel: CancelJob | undefined;
  /** The worker's stem cache, where the page's mixer reads a job's stems. */
  stemCacheDir: string;
  /** Closed when the server shuts down: live event streams end. */
  signal: AbortSignal;
  /** How a request is authorized (undefined: it is not; /readyz then answers with booleans only). */
  access: (request: FastifyRequest) => Access;
}
