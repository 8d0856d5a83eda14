import { defineService } from '@imk/service';
import { NasSyncFileSchema, SERVICE_NAME } from './config.ts';
import { doctorChecks } from './doctor-checks.ts';
import { healthChecks } from './health.ts';
import type { NasSyncOptions } from './service.ts';
// The service's error codes and their policy, known to whatever loads the definition (`imk retry`, the
// dashboard's Retry: retryAdviceOf), not only once its code runs.
import './errors.ts';

/** The sync service's code, loaded only when it runs (doctor and the config reference need only the schema and checks). */
const code = () => import('./service.ts');

export const nasSyncService = defineService({
  name: SERVICE_NAME,
  description: 'delivers artifacts from manifests to local, rsync, SFTP, S3 and rclone destinations',
  configSchema: NasSyncFileSchema,
  load: code,
  start: async (options: NasSyncOptions) => (await code()).startNasSync(options),
  doctorChecks,
  healthChecks,
});
