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

/** What loading a service's package gives. */
export interface ServiceExports {
  module: Record<string, unknown>;
  start: ServiceStart;
  configSchema: z.ZodType;
}

/** One long-running service and how to load its package. */
export interface ServiceEntry {
  /** Name used by `imk run <name>`, docker-compose and config/<name>.yaml. */
  name: string;
  description: string;
  /** Workspace package. */
  packageName: string;
  /** Imports the package (static specifiers: the type checker sees each export). */
  load(): Promise<ServiceExports>;
}

// A start function takes its own options type (with its own `overrides`); the registry calls them all alike.
const asStart = (start: (options: never) => Promise<unknown>): ServiceStart => start as ServiceStart;

/**
 * Every service of the system, in start order (producers first, the dashboard last). Services are loaded
 * lazily, so `imk` starts fast and loads only what a verb needs.
 */
export const SERVICES: readonly ServiceEntry[] = [
  {
    name: 'youtube-retriever',
    description:
      'YouTube (and any yt-dlp site): request files and the HTTP API -> queues youtube_audio/youtube_video',
    packageName: '@imk/youtube-retriever-service',
    load: async () => {
      const module = await import('@imk/youtube-retriever-service');
      return {
        module,
        start: asStart(module.startYoutubeRetriever),
        configSchema: module.YoutubeConfigSchema,
      };
    },
  },
  {
    name: 'deemix-retriever',
    description: 'Deezer links through the deemix command line -> queue other',
    packageName: '@imk/deemix-retriever-service',
    load: async () => {
      const module = await import('@imk/deemix-retriever-service');
      return { module, start: asStart(module.startDeemixRetriever), configSchema: module.DeemixConfigSchema };
    },
  },
  {
    name: 'inbox',
    description: 'drop-folder inbox: media files dropped in a folder -> queue other',
    packageName: '@imk/inbox-service',
    load: async () => {
      const module = await import('@imk/inbox-service');
      return { module, start: asStart(module.startInbox), configSchema: module.InboxConfigSchema };
    },
  },
  {
    name: 'instrumental-maker',
    description: 'the worker: separates, mixes variants, encodes, writes outputs/<job_id>/ and manifest.json',
    packageName: '@imk/instrumental-maker-service',
    load: async () => {
      const module = await import('@imk/instrumental-maker-service');
      return {
        module,
        start: asStart(module.startInstrumentalMaker),
        configSchema: module.InstrumentalMakerConfigSchema,
      };
    },
  },
  {
    name: 'nas-sync',
    description: 'delivers artifacts from manifests to local, rsync, SFTP, S3 and rclone destinations',
    packageName: '@imk/nas-sync-service',
    load: async () => {
      const module = await import('@imk/nas-sync-service');
      return { module, start: asStart(module.startNasSync), configSchema: module.NasSyncFileSchema };
    },
  },
  {
    name: 'web',
    description:
      'the dashboard and HTTP API, health checks and metrics; runs retention cleanup on its schedule',
    packageName: '@imk/web-service',
    load: async () => {
      const module = await import('@imk/web-service');
      return { module, start: asStart(module.startWeb), configSchema: module.WebConfigSchema };
    },
  },
];

export const SERVICE_NAMES: readonly string[] = SERVICES.map((s) => s.name);

export interface LoadedService extends ServiceExports {
  entry: ServiceEntry;
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

/** Imports a service's package; ImkError SERVICE_UNAVAILABLE (saying why) when it cannot be loaded. */
export async function loadService(name: string): Promise<LoadedService> {
  const entry = serviceEntry(name);
  try {
    return { entry, ...(await entry.load()) };
  } catch (error) {
    throw new ImkError(
      'SERVICE_UNAVAILABLE',
      `service ${name} is not available: ${entry.packageName} could not be loaded (${errorMessage(error)})`,
      { cause: error },
    );
  }
}
