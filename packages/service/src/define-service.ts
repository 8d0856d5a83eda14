import type { z } from 'zod';
import type { DoctorCheck } from '@imk/doctor';
import { ImkError } from '@imk/errors';
import type { Logger } from '@imk/log';
import './errors.ts';

/** What every service's start function receives; it resolves once the service has stopped. */
export interface ServiceStartOptions {
  /** Folder holding queues/, outputs/, config/ and state/. */
  root: string;
  /** The service's root logger (STYLE 6: libraries get children of it). */
  logger: Logger;
  /** Aborting stops the service; `start` resolves once it has stopped cleanly. */
  signal: AbortSignal;
}

/** How a service of this process is doing, for `imk up`, the dashboard and /readyz. */
export interface ServiceState {
  name: string;
  /** degraded: running, but cannot do (all of) its work (deemix missing, no ARL, no route configured). */
  state: 'starting' | 'running' | 'degraded' | 'stopped' | 'failed' | 'unavailable';
  detail?: string;
  /** Why it is degraded, one line each. */
  reasons?: string[];
}

/** One long-running service, declared once; every list of services (imk up, imk run, the config reference, doctor) derives from these. */
export interface ServiceDefinition<Options extends ServiceStartOptions = ServiceStartOptions> {
  /** Used by `imk run <name>`, docker-compose and `config/<name>.yaml`. */
  name: string;
  /** One line: what the service does (the config reference's heading, `imk up --help`). */
  description: string;
  /** The schema of `config/<name>.yaml`. */
  configSchema: z.ZodType;
  /** Runs the service until `signal` aborts. Extra options come from the CLI's composition (URL retrievers, …). */
  start(options: Options): Promise<unknown>;
  /**
   * Loads the service's code, which `start` imports when it runs (the definition itself holds only the
   * schema and checks, so `imk doctor` loads no service). `imk up` and `imk run` call it first: a service
   * whose code cannot be loaded is reported unavailable, not failed.
   */
  load?(): Promise<unknown>;
  /** What `imk doctor` checks for this service. */
  doctorChecks: readonly DoctorCheck[];
  /** What tells running from degraded while it runs. @default doctorChecks */
  healthChecks?: readonly DoctorCheck[];
  /** `imk run <name> --once`: work until there is nothing left, then stop; `ok` false when something failed. */
  runOnce?(options: Options): Promise<{ ok: boolean; summary?: unknown }>;
}

/** Declares a service (checks the name up front: it names a config file and an env prefix). */
export function defineService<Options extends ServiceStartOptions>(
  definition: ServiceDefinition<Options>,
): ServiceDefinition<Options> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name))
    throw new ImkError(
      'SERVICE_NAME_INVALID',
      `service name "${definition.name}" must be lowercase letters, digits and dashes`,
    );
  return definition;
}
