import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { createLogger } from '@imk/log';
import { SECRET_FIX, mediaServerSecretProblems } from '@imk/notify';
import {
  DEFAULT_BACKEND,
  assertShareMounted,
  backendPrograms,
  compileRoutes,
  createBackend,
  folderSilent,
  mountTables,
  type SyncBackend,
} from '@imk/sync';
import { resolveTool } from '@imk/tools';
import { loadNasSyncConfig, type NasSyncConfig } from './config.ts';

const INSTALL: Record<string, string> = { rsync: 'rsync', ssh: 'openssh-client', rclone: 'rclone' };

/** The enabled configuration a check reads, or the skip that says why there is none (the config check says more). */
async function enabledConfig(
  root: string,
  env: NodeJS.ProcessEnv,
): Promise<{ config: NasSyncConfig } | { skip: CheckResult }> {
  let loaded;
  try {
    loaded = await loadNasSyncConfig(root, env);
  } catch {
    return { skip: { status: 'skip', summary: 'config/nas-sync.yaml is invalid (see its config check)' } };
  }
  if (loaded.state !== 'enabled')
    return { skip: { status: 'skip', summary: 'nas-sync is not enabled (config/nas-sync.yaml)' } };
  return { config: loaded.config };
}

/**
 * The programs the configured backends run (rsyncBinary, sshBinary, rcloneBinary), found exactly as the
 * backends find them (@imk/tools: the configured path, else IMK_<TOOL>, else PATH), so a passing doctor
 * means the sync runs those same files.
 */
export const syncToolsCheck: DoctorCheck = {
  id: 'sync-tools',
  title: 'NAS sync programs',
  group: 'sync',
  required: true,
  async run({ paths, env }): Promise<CheckResult> {
    const loaded = await enabledConfig(paths.root, env);
    if ('skip' in loaded) return loaded.skip;
    const backends = Object.entries(loaded.config.backends);
    const found: string[] = [];
    const missing: { text: string; tool: string }[] = [];
    for (const [name, options] of backends)
      for (const program of backendPrograms(options)) {
        try {
          const where = `backends.${name}.${program.field} in config/nas-sync.yaml`;
          const path = await resolveTool(program.tool, {
            env,
            fresh: true,
            configured: program.configured,
            configuredIn: where,
          });
          found.push(`${program.tool} ${path}`);
        } catch (error) {
          missing.push({ text: `backend "${name}": ${errorMessage(error)}`, tool: program.tool });
        }
      }
    if (missing.length > 0)
      return {
        status: 'fail',
        summary: missing.map((m) => m.text).join('; '),
        fix: `sudo apt-get install -y ${[...new Set(missing.map((m) => INSTALL[m.tool] ?? m.tool))].join(' ')}, or fix the path in config/nas-sync.yaml`,
      };
    const types = [...new Set(backends.map(([, b]) => b.type))];
    return {
      status: 'ok',
      summary: `backends: ${types.join(', ') || 'local only'}${found.length ? `; ${[...new Set(found)].join(', ')}` : ''}`,
    };
  },
};

/**
 * Routes that write to a folder on this host whose folder is below a mount point /etc/fstab lists but that is
 * not mounted: nas-sync refuses to write there (the files would land on this host's own disk), so doctor says
 * so before the first pass does. Which routes write to this host, and where, is asked of each backend
 * (`pathOnThisHost`: `local`, `rsync` without a host, `rclone` to a remote rclone calls local), the same
 * answer the backend checks before each copy. A folder on a share that does not answer within shareTimeoutSec
 * is said as such (UNREACHABLE), not waited for.
 */
export const sharesMountedCheck: DoctorCheck = {
  id: 'sync-shares-mounted',
  title: 'NAS shares of local routes are mounted',
  group: 'sync',
  required: false,
  async run({ paths, env }): Promise<CheckResult> {
    const loaded = await enabledConfig(paths.root, env);
    if ('skip' in loaded) return loaded.skip;
    const { config } = loaded;
    const shareTimeoutMs = config.shareTimeoutSec * 1000;
    const tables = mountTables(env);
    const logger = createLogger('nas-sync-doctor', { level: 'silent' });
    const backends = new Map<string, SyncBackend>();
    const problems: string[] = [];
    const unchecked: string[] = [];
    let checked = 0;
    let silentShares = false;
    try {
      for (const route of compileRoutes(config.routes, config.remoteRoots).routes) {
        if (!route.template) continue;
        const name = route.route.backend;
        // A route without a defined backend writes to a plain local folder, as in the engine.
        const options = config.backends[name] ?? (name === DEFAULT_BACKEND ? { type: 'local' } : undefined);
        if (!options) continue;
        let folder: string | undefined;
        try {
          // Made inside the try: a backend whose secret is missing fails here, said by the other checks too.
          let backend = backends.get(name);
          if (!backend) {
            backend = createBackend(options, { name, logger, env, shareTimeoutMs });
            backends.set(name, backend);
          }
          folder = await backend.pathOnThisHost?.(route.template.root);
        } catch (error) {
          unchecked.push(`route "${route.name}" (backend "${name}"): ${errorMessage(error)}`);
          continue;
        }
        if (folder === undefined) continue;
        checked++;
        // A share that stopped answering never answers this process's own look (assertShareMounted's
        // realpath): asked of a child first, bounded by shareTimeoutSec as a pass asks.
        const silent = await folderSilent(name, folder, { timeoutMs: shareTimeoutMs, env });
        if (silent) {
          silentShares = true;
          problems.push(`route "${route.name}": ${silent.message}`);
          continue;
        }
        await assertShareMounted(tables, folder, { backend: name, route: route.name }).catch(
          (error: unknown) => problems.push(errorMessage(error)),
        );
      }
    } finally {
      await Promise.all([...backends.values()].map((backend) => backend.close().catch(() => undefined)));
    }
    const notChecked = unchecked.length > 0 ? `; not checked: ${unchecked.join('; ')}` : '';
    if (problems.length > 0)
      return {
        status: 'warn',
        summary: problems.join('; ') + notChecked,
        fix:
          (silentShares ? "check that the share's server is up and that ls of its folder answers; " : '') +
          'mount the share (mount <mount point>), or point the route at a folder that is there',
      };
    return {
      status: 'ok',
      summary: `${checked} route folder(s) on this host; none under an unmounted share${notChecked}`,
    };
  },
};

/**
 * The media servers' secrets (`token`, `password`) can be read. A server whose secret is missing is never
 * refreshed (each try fails the same way, its files owed for ever); before, doctor passed it and the
 * dashboard stayed green until the first pass that delivered had tried it three times.
 */
export const mediaServerSecretsCheck: DoctorCheck = {
  id: 'nas-sync-media-secrets',
  title: 'media server secrets',
  group: 'sync',
  required: true,
  async run({ paths, env }): Promise<CheckResult> {
    const loaded = await enabledConfig(paths.root, env);
    if ('skip' in loaded) return loaded.skip;
    const names = Object.keys(loaded.config.mediaServers);
    if (names.length === 0) return { status: 'skip', summary: 'no media server configured' };
    const problems = mediaServerSecretProblems(loaded.config.mediaServers, env);
    if (problems.length === 0)
      return { status: 'ok', summary: `the secrets of ${names.join(', ')} can be read` };
    return {
      status: 'fail',
      summary: `a media server's secret cannot be read, so it is never asked to refresh: ${problems.join('; ')}`,
      fix: SECRET_FIX,
    };
  },
};

/** What `imk doctor` checks for nas-sync. */
export const doctorChecks: DoctorCheck[] = [syncToolsCheck, sharesMountedCheck, mediaServerSecretsCheck];
