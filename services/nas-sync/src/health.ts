import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { loadNasSyncConfig } from './config.ts';

/**
 * Whether the running service can deliver anything: configured, with at least one route. Disabled on
 * purpose (enabled: false) is the user's choice, not a problem. A check of the running service (shown as
 * "degraded" on the dashboard and in /readyz), not of doctor: doctor's config check already covers the file.
 */
export const routesHealthCheck: DoctorCheck = {
  id: 'nas-sync-routes',
  title: 'NAS sync routes',
  group: 'sync',
  required: false,
  async run({ paths, env }): Promise<CheckResult> {
    let loaded;
    try {
      loaded = await loadNasSyncConfig(paths.root, env);
    } catch (error) {
      return { status: 'fail', summary: errorMessage(error), fix: 'fix config/nas-sync.yaml' };
    }
    const fix = 'add routes to config/nas-sync.yaml (see config/nas-sync.example.yaml and docs/nas-sync.md)';
    if (loaded.state === 'not-configured') return { status: 'fail', summary: loaded.reason, fix };
    if (loaded.state === 'disabled') return { status: 'skip', summary: loaded.reason };
    if (loaded.config.routes.length === 0)
      return { status: 'fail', summary: 'no route configured: nothing is delivered', fix };
    return { status: 'ok', summary: `${loaded.config.routes.length} route(s)` };
  },
};

/** What the supervisor runs while nas-sync runs, to tell running from degraded. */
export const healthChecks: DoctorCheck[] = [routesHealthCheck];
