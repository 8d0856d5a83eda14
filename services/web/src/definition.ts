import { loadServiceConfig } from '@imk/config';
import type { DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { defineService } from '@imk/service';
import { WEB_SERVICE, WebConfigSchema } from './config.ts';
import type { StartWebOptions } from './start-web.ts';
import { resolveToken } from './token.ts';
// The service's error codes and their policy, known to whatever loads the definition (`imk retry`, the
// dashboard's Retry: retryAdviceOf), not only once its code runs.
import './errors.ts';

export const webAccessCheck: DoctorCheck = {
  id: 'web-access',
  title: 'dashboard address and token',
  group: 'web',
  required: true,
  async run({ paths, env }) {
    let config;
    try {
      ({ config } = await loadServiceConfig({
        service: WEB_SERVICE,
        schema: WebConfigSchema,
        root: paths.root,
        env,
      }));
    } catch {
      return { status: 'skip', summary: `config/${WEB_SERVICE}.yaml is invalid (see its config check)` };
    }
    try {
      const token = await resolveToken(config, paths.root);
      return {
        status: 'ok',
        summary: `http://${config.host}:${String(config.port)} (${token ? 'token required' : 'open, loopback only'})`,
      };
    } catch (error) {
      return {
        status: 'fail',
        summary: errorMessage(error),
        fix: 'export IMK_WEB__TOKEN=$(openssl rand -hex 24), or set web.host to 127.0.0.1',
      };
    }
  },
};

/** The server (fastify and the routes), loaded only when it runs: doctor and healthcheck need only the schema. */
const code = () => import('./start-web.ts');

export const webService = defineService({
  name: WEB_SERVICE,
  description:
    'the dashboard and HTTP API, health checks and metrics; runs retention cleanup on its schedule',
  configSchema: WebConfigSchema,
  load: code,
  start: async (options: StartWebOptions) => (await code()).startWeb(options),
  doctorChecks: [webAccessCheck],
  // As before: the dashboard is never marked degraded by its own checks.
  healthChecks: [],
});
