import { loadServiceConfig } from '@imk/config';
import { ffmpegChecks, type CheckResult, type DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { openLedger } from '@imk/ledger';
import { resolveTool } from '@imk/tools';
import {
  InstrumentalMakerConfigSchema,
  SERVICE_NAME,
  configuredEngineParams,
  outputDefaultsProblem,
  type InstrumentalMakerConfig,
} from './config.ts';
import { mdxEngineCheck, modelsCheck } from './model-checks.ts';

const ok = (summary: string): CheckResult => ({ status: 'ok', summary });
const fail = (summary: string, fix: string): CheckResult => ({ status: 'fail', summary, fix });

/** The worker's config as it runs with it; undefined when invalid (the config check says why). */
async function workerConfig(
  root: string,
  env: NodeJS.ProcessEnv | undefined,
): Promise<InstrumentalMakerConfig | undefined> {
  try {
    return (
      await loadServiceConfig({ service: SERVICE_NAME, schema: InstrumentalMakerConfigSchema, root, env })
    ).config;
  } catch {
    return undefined;
  }
}

const INVALID_CONFIG: CheckResult = {
  status: 'skip',
  summary: `config/${SERVICE_NAME}.yaml is invalid (see its config check)`,
};

export const ledgerCheck: DoctorCheck = {
  id: 'ledger',
  title: 'job ledger (SQLite)',
  group: 'worker',
  required: true,
  run({ paths }) {
    try {
      const ledger = openLedger({ root: paths.root });
      const { jobs } = ledger.db.prepare('SELECT count(*) AS jobs FROM jobs').get() as { jobs: number };
      ledger.close();
      return Promise.resolve(ok(`${paths.ledger}: ${jobs} jobs`));
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

export const engineCheck: DoctorCheck = {
  id: 'separation-engine',
  title: 'separation engine',
  group: 'worker',
  required: true,
  async run({ paths, env }) {
    const config = await workerConfig(paths.root, env);
    if (config === undefined) return INVALID_CONFIG;
    const { engine } = config;
    const { name, fallback } = engine;
    // The parameters the worker runs with: engine.params over engine.model, engine.overlap, ….
    const params = configuredEngineParams(engine);
    if (name === 'mdx') return mdxEngineCheck(params, paths, fallback);
    if (name !== 'demucs') return ok(`${name} (needs no model download)`);
    // The command the worker runs: engine.params.command when set, else demucs found like any tool.
    const command = typeof params.command === 'string' ? params.command : undefined;
    try {
      const found = await resolveTool('demucs', {
        env,
        fresh: true,
        configured: command,
        configuredIn: `engine.params.command in config/${SERVICE_NAME}.yaml`,
      });
      return ok(`demucs at ${found}`);
    } catch (error) {
      const fix = 'pip install demucs (or use the builtin engine: engine.name: builtin)';
      // With engine.fallback (the default) the worker runs every job on builtin instead: nothing is broken.
      if (fallback !== false)
        return {
          status: 'warn',
          summary: `${errorMessage(error)}; jobs run on the builtin engine instead (engine.fallback), each with a warning in its manifest`,
          fix,
        };
      return fail(`${errorMessage(error)}; with engine.fallback: false every job fails`, fix);
    }
  },
};

/** The config's output format and its sample rate or bit depth: a pair no file can be written with. */
export const outputCheck: DoctorCheck = {
  id: 'output-format',
  title: 'output format',
  group: 'worker',
  required: false,
  async run({ paths, env }) {
    const config = await workerConfig(paths.root, env);
    if (config === undefined) return INVALID_CONFIG;
    const { output } = config;
    const problem = outputDefaultsProblem(output);
    if (problem === undefined)
      return ok(`${output.format}${output.sampleRate === undefined ? '' : `, ${output.sampleRate} Hz`}`);
    return {
      status: 'warn',
      summary: problem.message,
      fix: `set output.format to one that takes output.${problem.key}, or change output.${problem.key} (or remove it)`,
    };
  },
};

/**
 * What tells the running worker from a degraded one: ffmpeg and ffprobe, which every job needs (decode,
 * probe, encode). Found afresh each time, so installing them (or fixing IMK_FFMPEG) turns it green.
 */
export const toolsHealthChecks: DoctorCheck[] = ffmpegChecks();

/** What `imk doctor` checks for the worker. */
export const doctorChecks: DoctorCheck[] = [ledgerCheck, engineCheck, outputCheck, modelsCheck];
