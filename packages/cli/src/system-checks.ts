import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { loadServiceConfig } from '@imk/config';
import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { bytesFromMb, formatBytes, loadOperationsConfig, measureDiskSpace } from '@imk/ops';
import { configFiles } from './config-reference.ts';

const ok = (summary: string): CheckResult => ({ status: 'ok', summary });
const fail = (summary: string, fix: string): CheckResult => ({ status: 'fail', summary, fix });

/** Each config file present under config/ parses and validates (a missing file means defaults). */
async function configChecks(): Promise<DoctorCheck[]> {
  return (await configFiles()).map((file): DoctorCheck => ({
    id: `config-${file.service}`,
    title: `config/${file.service}.yaml`,
    group: 'config',
    required: true,
    async run({ paths, env }) {
      try {
        const loaded = await loadServiceConfig({
          service: file.service,
          schema: file.schema,
          root: paths.root,
          env,
        });
        const overrides = loaded.envOverrides.length > 0 ? `, env: ${loaded.envOverrides.join(', ')}` : '';
        return ok(loaded.file ? `${loaded.file} is valid${overrides}` : `not present: defaults${overrides}`);
      } catch (error) {
        return fail(
          errorMessage(error),
          `edit config/${file.service}.yaml (reference: docs/configuration.md)`,
        );
      }
    },
  }));
}

const invalid = (what: string): CheckResult => ({
  status: 'skip',
  summary: `config/${what}.yaml is invalid (see its config check)`,
});

const diskGuardCheck: DoctorCheck = {
  id: 'disk-guard',
  title: 'disk guard',
  group: 'operations',
  required: true,
  async run({ paths, env }) {
    const loaded = await loadOperationsConfig(paths.root, env).catch(() => undefined);
    if (!loaded) return invalid('operations');
    const { diskGuard } = loaded;
    const problems: string[] = [];
    for (const dir of [paths.outputs, paths.state]) {
      try {
        await mkdir(dir, { recursive: true });
        await access(dir, constants.W_OK);
      } catch (error) {
        problems.push(
          `${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`,
        );
      }
    }
    if (problems.length > 0)
      return fail(problems.join('; '), `sudo chown -R "$(id -u):$(id -g)" ${paths.outputs} ${paths.state}`);
    const space = await measureDiskSpace(paths.outputs);
    const min = bytesFromMb(diskGuard.minFreeMb);
    const text = `${formatBytes(space.freeBytes)} free for outputs/ (claiming pauses below ${formatBytes(min)})`;
    if (diskGuard.enabled && space.freeBytes < min)
      return fail(
        `${text}: workers are not claiming new jobs`,
        'imk cleanup (see `imk cleanup --dry-run` first), or lower diskGuard.minFreeMb in config/operations.yaml',
      );
    return ok(diskGuard.enabled ? text : `${text}; the guard is disabled`);
  },
};

/**
 * Checks of the system as a whole (`imk doctor`): every config file, and the disk guard. Each service's own
 * checks are in its definition (defineService's doctorChecks).
 */
export async function operationsChecks(): Promise<DoctorCheck[]> {
  return [...(await configChecks()), diskGuardCheck];
}
