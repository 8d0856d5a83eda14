import { ImkError, errorMessage } from '@imk/errors';
import type { ServiceDefinition, ServiceStartOptions } from '@imk/service';
import './errors.ts';

/** What the CLI passes to any service's start: the common options plus what it composes for that service. */
export type ServiceStart = (options: ServiceStartOptions & Record<string, unknown>) => Promise<unknown>;

/** A service's definition as the CLI runs it: every service's start called alike. */
export type LoadedService = ServiceDefinition<ServiceStartOptions & Record<string, unknown>>;

/**
 * The service packages, in start order (producers first, the dashboard last), each loaded lazily so `imk`
 * starts fast. Each package declares itself once (`defineService({ … })` in its `definition` export, which
 * holds the config schema and checks and loads the service's own code only when it starts); the key here
 * only finds the package, and loadService checks that it matches the definition's name.
 */
const SERVICE_PACKAGES: Readonly<Record<string, { packageName: string; load: () => Promise<unknown> }>> = {
  'youtube-retriever': {
    packageName: '@imk/youtube-retriever-service',
    load: async () => (await import('@imk/youtube-retriever-service/definition')).youtubeRetrieverService,
  },
  'deemix-retriever': {
    packageName: '@imk/deemix-retriever-service',
    load: async () => (await import('@imk/deemix-retriever-service/definition')).deemixRetrieverService,
  },
  inbox: {
    packageName: '@imk/inbox-service',
    load: async () => (await import('@imk/inbox-service/definition')).inboxService,
  },
  'instrumental-maker': {
    packageName: '@imk/instrumental-maker-service',
    load: async () => (await import('@imk/instrumental-maker-service/definition')).instrumentalMakerService,
  },
  'nas-sync': {
    packageName: '@imk/nas-sync-service',
    load: async () => (await import('@imk/nas-sync-service/definition')).nasSyncService,
  },
  web: {
    packageName: '@imk/web-service',
    load: async () => (await import('@imk/web-service/definition')).webService,
  },
};

export const SERVICE_NAMES: readonly string[] = Object.keys(SERVICE_PACKAGES);

/**
 * Imports a service's definition, and with `code` (to run it) the service's code too; ImkError
 * SERVICE_UNAVAILABLE (saying why) when either cannot be loaded.
 */
export async function loadService(name: string, options: { code?: boolean } = {}): Promise<LoadedService> {
  const entry = SERVICE_PACKAGES[name];
  if (!entry)
    throw new ImkError(
      'UNKNOWN_SERVICE',
      `there is no service "${name}"; services: ${SERVICE_NAMES.join(', ')}`,
    );
  let definition: LoadedService;
  try {
    definition = (await entry.load()) as LoadedService;
    if (options.code) await definition.load?.();
  } catch (error) {
    throw new ImkError(
      'SERVICE_UNAVAILABLE',
      `service ${name} is not available: ${entry.packageName} could not be loaded (${errorMessage(error)})`,
      { cause: error },
    );
  }
  if (definition.name !== name)
    throw new ImkError(
      'SERVICE_MISMATCH',
      `${entry.packageName} defines the service "${definition.name}", not "${name}"`,
    );
  return definition;
}

/** Every service's definition, in start order (the config reference and doctor list them all). */
export async function loadAllServices(): Promise<{ services: LoadedService[]; unavailable: string[] }> {
  const services: LoadedService[] = [];
  const unavailable: string[] = [];
  for (const name of SERVICE_NAMES) {
    try {
      services.push(await loadService(name));
    } catch (error) {
      unavailable.push(`${name}: ${errorMessage(error)}`);
    }
  }
  return { services, unavailable };
}
