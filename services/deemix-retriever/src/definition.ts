import { defineService } from '@imk/service';
import { DeemixConfigSchema, SERVICE_NAME } from './config.ts';
import { doctorChecks } from './doctor-checks.ts';
import type { StartDeemixRetrieverOptions } from './start.ts';
// The service's error codes and their policy, known to whatever loads the definition (`imk retry`, the
// dashboard's Retry: retryAdviceOf), not only once its code runs.
import './errors.ts';

/** The retriever's code, loaded only when it runs (doctor and the config reference need only the schema and checks). */
const code = () => import('./start.ts');

export const deemixRetrieverService = defineService({
  name: SERVICE_NAME,
  description: 'Deezer links through the deemix command line -> queue other',
  configSchema: DeemixConfigSchema,
  load: code,
  start: async (options: StartDeemixRetrieverOptions) => (await code()).startDeemixRetriever(options),
  doctorChecks,
});
