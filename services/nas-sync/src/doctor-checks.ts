import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { backendPrograms } from '@imk/sync';
import { resolveTool } from '@imk/tools';
import { loadNasSyncConfig } from './config.ts';

const INSTALL: Record<string, string> = { rsync: 'rsync', ssh: 'openssh-client', rclone: 'rclone' };

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
    let loaded;
    try {
      loaded = await loadNasSyncConfig(paths.root, env);
    } catch {
      return { status: 'skip', summary: 'config/nas-sync.yaml is invalid (see its config check)' };
    }
    if (loaded.state !== 'enabled')
      return { status: 'skip', summary: 'nas-sync is not enabled (config/nas-sync.yaml)' };
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

/** What `imk doctor` checks for nas-sync. */
export const doctorChecks: DoctorCheck[] = [syncToolsCheck];
