import { defineService } from '@imk/service';
import { NasSyncFileSchema, SERVICE_NAME } from './config.ts';
import { doctorChecks } from './doctor-checks.ts';
import { healthChecks } from './health.ts';
import { startNasSync } from './service.ts';

export const nasSyncService = defineService({
  name: SERVICE_NAME,
  description: 'delivers artifacts from manifests to local, rsync, SFTP, S3 and rclone destinations',
  configSchema: NasSyncFileSchema,
  start: startNasSync,
  doctorChecks,
  healthChecks,
});
