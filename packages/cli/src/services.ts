import type { z } from 'zod';
import { ImkError, errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';

/** What every service's start function takes; it resolves once the service has stopped. */
export interface ServiceStartOptions {
  root: string;
  logger: Logger;
  signal: AbortSignal;
}

export type ServiceStart = (options: ServiceStartOptions & Record<string, unknown>) => Promise<unknown>;

/** One long-running service: the package that implements it and the names it exports. */
export interface ServiceEntry {
  /** Name used by `imk run <name>`, docker-compose and config/<name>.yaml. */
  name: string;
  description: string;
  /** Workspace package. */
  packageName: string;
  /** Export names tried in order for the start function and the config schema. */
  startExports: string[];
  configSchemaExports: string[];
}

/**
 * Every service of the system, in start order (producers first, the dashboard last). Services are loaded
 * lazily: `imk` starts fast, and a service whose package is missing is reported as not available rather
 * than breaking the other verbs.
 */
export const SERVICES: readonly ServiceEntry[] = [
  {
    name: 'youtube-retriever',
    description:
      'YouTube (and any yt-dlp site): request files and the HTTP API -> queues youtube_audio/youtube_video',
    packageName: '@imk/youtube-retriever-service',
    startExports: ['startYoutubeRetriever'],
    configSchemaExports: ['YoutubeConfigSchema', 'YoutubeRetrieverConfigSchema'],
  },
  {
    name: 'deemix-retriever',
    description: 'Deezer links through the deemix command line -> queue other',
    packageName: '@imk/deemix-retriever-service',
    startExports: ['startDeemixRetriever'],
    configSchemaExports: ['DeemixConfigSchema', 'DeemixRetrieverConfigSchema'],
  },
  {
    name: 'inbox',
    description: 'drop-folder inbox: media files dropped in a folder -> queue other',
    packageName: '@imk/inbox-service',
    startExports: ['startInbox'],
    configSchemaExports: ['InboxConfigSchema'],
  },
  {
    name: 'instrumental-maker',
    description: 'the worker: separates, mixes variants, encodes, writes outputs/<job_id>/ and manifest.json',
    packageName: '@imk/instrumental-maker-service',
    startExports: ['startInstrumentalMaker'],
    configSchemaExports: ['InstrumentalMakerConfigSchema'],
  },
  {
    name: 'nas-sync',
    description: 'delivers artifacts from manifests to local, rsync, SFTP, S3 and rclone destinations',
    packageName: '@imk/nas-sync-service',
    startExports: ['startNasSync'],
    configSchemaExports: ['NasSyncConfigSchema', 'NasSyncFileSchema'],
  },
  {
    name: 'web',
    description:
      'the dashboard and HTTP API, health checks and metrics; runs retention cleanup on its schedule',
    packageName: '@imk/web-service',
    startExports: ['startWeb'],
    configSchemaExports: ['WebConfigSchema'],
  },
];

export const SERVICE_NAMES: readonly string[] = SERVICES.map((s) => s.name);

export interface LoadedService {
  entry: ServiceEntry;
  module: Record<string, unknown>;
  start: ServiceStart;
  configSchema: z.ZodType | undefined;
}

export function serviceEntry(name: string): ServiceEntry {
  const entry = SERVICES.find((s) => s.name === name);
  if (!entry)
    throw new ImkError(
      'UNKNOWN_SERVICE',
      `there is no service "${name}"; services: ${SERVICE_NAMES.join(', ')}`,
    );
  return entry;
}

/** Imports a service's package; ImkError SERVICE_UNAVAILABLE (saying why) when it is missing or incomplete. */
export async function loadService(name: string): Promise<LoadedService> {
  const entry = serviceEntry(name);
  let module: Record<string, unknown>;
  try {
    // A variable specifier: the package may not exist yet in a partial checkout; that is reported, not fatal.
    const specifier: string = entry.packageName;
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new ImkError(
      'SERVICE_UNAVAILABLE',
      `service ${name} is not available: ${entry.packageName} could not be loaded (${errorMessage(error)})`,
      {
        cause: error,
      },
    );
  }
  const start = entry.startExports.map((e) => module[e]).find((f) => typeof f === 'function') as
    ServiceStart | undefined;
  if (!start)
    throw new ImkError(
      'SERVICE_UNAVAILABLE',
      `service ${name} is not available: ${entry.packageName} exports no ${entry.startExports.join(' or ')}`,
    );
  const configSchema = entry.configSchemaExports.map((e) => module[e]).find(isZodSchema);
  return { entry, module, start, configSchema };
}

function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}
