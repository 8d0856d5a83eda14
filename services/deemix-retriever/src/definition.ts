import { defineService } from '@imk/service';
import { DeemixConfigSchema, SERVICE_NAME } from './config.ts';
import { doctorChecks } from './doctor-checks.ts';
import { startDeemixRetriever } from './start.ts';

export const deemixRetrieverService = defineService({
  name: SERVICE_NAME,
  description: 'Deezer links through the deemix command line -> queue other',
  configSchema: DeemixConfigSchema,
  start: startDeemixRetriever,
  doctorChecks,
});
