import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { notificationsHealthCheck } from '@imk/notify';
import { loadNasSyncConfig } from './config.ts';
import { sharesMountedCheck } from './doctor-checks.ts';

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

/**
 * A route whose folder on this host is under a share that is not mounted (or does not answer) delivers
 * nothing: nas-sync refuses to write there. Doctor warns of it (the rest of the system works); for the
 * running service it is a reason it cannot do its work, told on the dashboard and in /readyz.
 */
export const sharesHealthCheck: DoctorCheck = {
  ...sharesMountedCheck,
  async run(context): Promise<CheckResult> {
    const result = await sharesMountedCheck.run(context);
    return result.status === 'warn' ? { ...result, status: 'fail' } : result;
  },
};

/** What the supervisor runs while nas-sync runs, to tell running from degraded. */
export const healthChecks: DoctorCheck[] = [routesHealthCheck, sharesHealthCheck, notificationsHealthCheck];
