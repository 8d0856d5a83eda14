import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { loadServiceConfig } from '@imk/config';
import { nearestExisting, type CheckResult, type DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { formatBytes } from '@imk/log';
import { notifyProgramsCheck, notifySecretsCheck } from '@imk/notify';
import { bytesFromMb, loadOperationsConfig, measureDiskSpace } from '@imk/ops';
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
    const missing: string[] = [];
    // Looked at, never created: doctor changes nothing, and a folder made here on an unmounted share's
    // mount point would hide the problem (and then the outputs written under it).
    for (const dir of [paths.outputs, paths.state]) {
      const existing = await nearestExisting(dir);
      if (existing !== dir) missing.push(dir);
      try {
        await access(existing, constants.W_OK);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? errorMessage(error);
        problems.push(
          existing === dir
            ? `${dir} is not writable (${code})`
            : `${dir} is missing and ${existing} is not writable (${code})`,
        );
      }
    }
    if (problems.length > 0)
      return fail(problems.join('; '), `sudo chown -R "$(id -u):$(id -g)" ${paths.outputs} ${paths.state}`);
    const measured = await nearestExisting(paths.outputs);
    const space = await measureDiskSpace(measured);
    const min = bytesFromMb(diskGuard.minFreeMb);
    const where = measured === paths.outputs ? 'outputs/' : `outputs/ (on the filesystem of ${measured})`;
    const note =
      missing.length > 0
        ? `; ${missing.join(' and ')} missing: created on first use (if it belongs on a mounted share, mount it first)`
        : '';
    const text = `${formatBytes(space.freeBytes)} free for ${where} (claiming pauses below ${formatBytes(min)})${note}`;
    if (diskGuard.enabled && space.freeBytes < min)
      return fail(
        `${text}: workers are not claiming new jobs`,
        'imk cleanup (see `imk cleanup --dry-run` first), or lower diskGuard.minFreeMb in config/operations.yaml',
      );
    return ok(diskGuard.enabled ? text : `${text}; the guard is disabled`);
  },
};

/**
 * Checks of the system as a whole (`imk doctor`): every config file, the disk guard, and the programs
 * notifications need. Each service's own checks are in its definition (defineService's doctorChecks).
 */
export async function operationsChecks(): Promise<DoctorCheck[]> {
  return [...(await configChecks()), diskGuardCheck, notifyProgramsCheck, notifySecretsCheck];
}
