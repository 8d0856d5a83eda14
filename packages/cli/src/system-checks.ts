import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadServiceConfig } from '@imk/config';
import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { openLedger } from '@imk/ledger';
import { resolveTool } from '@imk/tools';
import { bytesFromMb, formatBytes, loadOperationsConfig, measureDiskSpace } from '@imk/ops';
import { configFiles } from './config-reference.ts';
import { mdxEngineCheck, modelsCheck } from './model-checks.ts';
import { loadService } from './services.ts';

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

/** A service's config, or undefined when it does not validate (its config check reports why). */
async function serviceConfig(
  service: string,
  root: string,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, unknown> | undefined> {
  const { configSchema } = await loadService(service);
  try {
    return (await loadServiceConfig({ service, schema: configSchema, root, env })).config as Record<
      string,
      unknown
    >;
  } catch {
    return undefined;
  }
}

const invalid = (service: string): CheckResult => ({
  status: 'skip',
  summary: `config/${service}.yaml is invalid (see its config check)`,
});

const ledgerCheck: DoctorCheck = {
  id: 'ledger',
  title: 'job ledger (SQLite)',
  group: 'worker',
  required: true,
  run({ paths }) {
    try {
      const ledger = openLedger({ root: paths.root });
      const { jobs } = ledger.db.prepare('SELECT count(*) AS jobs FROM jobs').get() as { jobs: number };
      ledger.close();
      return Promise.resolve(ok(`${join(paths.state, 'ledger.sqlite')}: ${jobs} jobs`));
    } catch (error) {
      return Promise.resolve(
        fail(
          errorMessage(error),
          /bindings|NODE_MODULE_VERSION|better_sqlite3/i.test(errorMessage(error))
            ? 'npm rebuild better-sqlite3 (its native addon was built for another Node version)'
            : `check that ${paths.state} is writable; the ledger can be rebuilt from the folders: imk ledger rebuild`,
        ),
      );
    }
  },
};

const engineCheck: DoctorCheck = {
  id: 'separation-engine',
  title: 'separation engine',
  group: 'worker',
  required: true,
  async run({ paths, env }) {
    const config = await serviceConfig('instrumental-maker', paths.root, env);
    if (!config) return invalid('instrumental-maker');
    const engine = config.engine as { name?: string; params?: Record<string, unknown> } | undefined;
    const name = engine?.name ?? 'builtin';
    if (name === 'mdx') return mdxEngineCheck(engine?.params ?? {}, paths);
    if (name !== 'demucs') return ok(`${name} (needs no model download)`);
    try {
      return ok(`demucs at ${await resolveTool('demucs', { env, fresh: true })}`);
    } catch (error) {
      return fail(
        errorMessage(error),
        'pip install demucs (or use the builtin engine: engine.name: builtin)',
      );
    }
  },
};

const webAccessCheck: DoctorCheck = {
  id: 'web-access',
  title: 'dashboard address and token',
  group: 'web',
  required: true,
  async run({ paths, env }) {
    const { resolveToken } = (await loadService('web')).module as {
      resolveToken: (c: unknown, root: string) => Promise<string | undefined>;
    };
    const config = await serviceConfig('web', paths.root, env);
    if (!config) return invalid('web');
    try {
      const token = await resolveToken(config, paths.root);
      return ok(
        `http://${String(config.host)}:${String(config.port)} (${token ? 'token required' : 'open, loopback only'})`,
      );
    } catch (error) {
      return fail(
        errorMessage(error),
        'export IMK_WEB__TOKEN=$(openssl rand -hex 24), or set web.host to 127.0.0.1',
      );
    }
  },
};

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

/** Checks for the worker, NAS sync, the dashboard, configuration and operations (`imk doctor`). */
export async function operationsChecks(): Promise<DoctorCheck[]> {
  return [...(await configChecks()), ledgerCheck, engineCheck, modelsCheck, webAccessCheck, diskGuardCheck];
}
