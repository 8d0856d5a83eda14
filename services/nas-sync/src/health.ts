import { NAS_SYNC, configFile } from '@imk/config';
import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { notificationsHealthCheck, readRefreshOwed } from '@imk/notify';
import { loadNasSyncConfig } from './config.ts';
import { readDestinationFaults } from './destination-health.ts';
import { mediaServerSecretsCheck, sharesMountedCheck } from './doctor-checks.ts';

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
      return { status: 'fail', summary: errorMessage(error), fix: `fix ${configFile(paths.root, NAS_SYNC)}` };
    }
    // The summary says what is wrong, the fix what to do, each once: the dashboard shows "summary (fix: fix)",
    // and advice in both said it twice.
    if (loaded.state === 'not-configured')
      return { status: 'fail', summary: loaded.problem, fix: loaded.advice };
    const fix = `add routes to ${configFile(paths.root, NAS_SYNC)} (docs/nas-sync.md)`;
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

/**
 * A destination whose last attempt failed for a reason a person must fix (unreachable, not a folder, no
 * permission, full: the sync catalogue's destinationFault) takes nothing: every pass fails there. Read from
 * what the passes recorded (no connection is made here); green again once a pass delivers there.
 */
export const destinationsHealthCheck: DoctorCheck = {
  id: 'nas-sync-destinations',
  title: 'NAS sync destinations',
  group: 'sync',
  required: false,
  async run({ paths, env }): Promise<CheckResult> {
    const loaded = await loadNasSyncConfig(paths.root, env).catch(() => undefined);
    if (loaded?.state !== 'enabled') return { status: 'skip', summary: 'nas-sync is not enabled' };
    // Routes carry their name, else `routes.<index>`; a fault of a route since removed says nothing now.
    const routes = new Set(loaded.config.routes.map((route, index) => route.name ?? `routes.${index}`));
    const faults = (await readDestinationFaults(paths.state)).filter((fault) => routes.has(fault.route));
    if (faults.length === 0) return { status: 'ok', summary: 'no destination failing' };
    return {
      status: 'fail',
      summary: faults
        .map((fault) => {
          const who = `route "${fault.route}" (backend "${fault.backend}")`;
          // Some errors name the route already (`route "music" (backend "nas"): …`): said once.
          const error = fault.error.startsWith(`${who}: `) ? fault.error.slice(who.length + 2) : fault.error;
          return `${who} has delivered nothing since ${fault.at}: ${error}`;
        })
        .join('; '),
      fix: 'fix what it says on the destination or in config/nas-sync.yaml, then imk sync retry; it shows green again once a pass delivers there (imk sync status lists the files waiting)',
    };
  },
};

/**
 * A media server whose refreshes fail (down, a wrong token): the log says so once, and here, while it
 * lasts, how many refreshes failed since when, what the last one said and how many files it is owed. Read
 * from refresh-owed/ (no server is asked here); green again once it answers.
 */
export const mediaServersHealthCheck: DoctorCheck = {
  id: 'nas-sync-media-servers',
  title: 'media servers',
  group: 'sync',
  required: false,
  async run({ paths, env }): Promise<CheckResult> {
    const loaded = await loadNasSyncConfig(paths.root, env).catch(() => undefined);
    if (loaded?.state !== 'enabled') return { status: 'skip', summary: 'nas-sync is not enabled' };
    const names = Object.keys(loaded.config.mediaServers);
    if (names.length === 0) return { status: 'skip', summary: 'no media server configured' };
    const down = (await readRefreshOwed(paths.state, names)).filter((owed) => owed.tries > 0);
    if (down.length === 0) return { status: 'ok', summary: `${String(names.length)} answering` };
    return {
      status: 'fail',
      summary: down
        .map(
          (owed) =>
            `media server "${owed.server}": ${String(owed.tries)} refresh${owed.tries === 1 ? '' : 'es'} failed in a row${owed.downSince ? ` since ${owed.downSince}` : ''}, ${String(owed.files)} file${owed.files === 1 ? '' : 's'} owed${owed.lastError ? `: ${owed.lastError}` : ''}`,
        )
        .join('; '),
      fix: 'check that the server is up and its token in config/nas-sync.yaml (mediaServers); the files it is owed are asked again, and this shows green once it answers',
    };
  },
};

/** What the supervisor runs while nas-sync runs, to tell running from degraded. */
export const healthChecks: DoctorCheck[] = [
  routesHealthCheck,
  sharesHealthCheck,
  destinationsHealthCheck,
  mediaServersHealthCheck,
  mediaServerSecretsCheck,
  notificationsHealthCheck,
];
