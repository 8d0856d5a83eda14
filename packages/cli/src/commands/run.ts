import { Option, type Command } from 'commander';
import { ImkError } from '@imk/errors';
import { createLogger, type Logger } from '@imk/log';
import { runOnce, startInstrumentalMaker } from '@imk/instrumental-maker-service';
import { startHeartbeat } from '@imk/ops';
import { contextFrom, print, withRoot } from '../context.ts';
import { logFormatOption } from '../log-format.ts';
import { SERVICE_NAMES } from '../services.ts';
import { runRegisteredService } from '../supervisor.ts';
import { warnLegacyEnv } from '@imk/config';

export interface RunServiceOptions {
  root: string;
  logger: Logger;
  signal: AbortSignal;
  once: boolean;
  concurrency?: number;
}

/** What `imk run <service>` can start; each returns whether everything it did went well. */
export const RUNNABLE_SERVICES: Record<
  string,
  (options: RunServiceOptions) => Promise<{ ok: boolean; summary?: unknown }>
> = {
  'instrumental-maker': async ({ once, ...options }) => {
    const result = once ? await runOnce(options) : await startInstrumentalMaker(options);
    const { outcomes: _outcomes, ...summary } = result;
    return { ok: result.ok, summary };
  },
};

export const DEFAULT_RUN_SERVICE = 'instrumental-maker';

interface RunOptions {
  root?: string;
  once?: boolean;
  concurrency?: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ImkError('INVALID_ARGUMENT', `--concurrency must be a whole number ≥ 1, got "${value}"`);
  return n;
}

export function registerRun(program: Command): void {
  withRoot(
    program
      .command('run')
      .argument('[service]', `service to run: ${SERVICE_NAMES.join(', ')}`, DEFAULT_RUN_SERVICE)
      .addOption(logFormatOption())
      .option('--once', 'process until the queues are empty, then exit (non-zero if any job failed)')
      .addOption(
        new Option('--concurrency <n>', 'jobs at once (default: config, else one per core)').argParser(
          positiveInt,
        ),
      )
      .description(
        'run a service in the foreground; SIGTERM or Ctrl-C stops claiming and lets running jobs finish',
      ),
  ).action(async (service: string, options: RunOptions) => {
    // Services without their own entry here run through the service registry (services.ts), which
    // also writes their health heartbeat.
    const own = RUNNABLE_SERVICES[service];
    const start =
      own ??
      (SERVICE_NAMES.includes(service)
        ? (o: RunServiceOptions) => runRegisteredService(service, o)
        : undefined);
    if (!start)
      throw new ImkError(
        'UNKNOWN_SERVICE',
        `unknown service "${service}"; choose one of: ${SERVICE_NAMES.join(', ')}`,
      );
    const { paths } = contextFrom(options);
    const logger = createLogger(service);
    // Settings of the earlier Python version in the environment: one warning each, naming ours.
    warnLegacyEnv(logger);
    const controller = new AbortController();
    let signals = 0;
    const onSignal = (name: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        // A second Ctrl-C means "now": claims still held come back when their lease expires.
        logger.warn({ signal: name }, 'second signal: exiting at once');
        process.exit(130);
      }
      logger.info({ signal: name }, 'stopping');
      controller.abort(new Error(`received ${name}`));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // `imk healthcheck <service>` (container health checks) reads this heartbeat.
    const beating = new AbortController();
    let state = 'running';
    if (own && !options.once)
      await startHeartbeat({ root: paths.root, service, logger, signal: beating.signal, state: () => state });
    try {
      const result = await start({
        root: paths.root,
        logger,
        signal: controller.signal,
        once: options.once === true,
        concurrency: options.concurrency,
      });
      if (options.once) print(JSON.stringify(result.summary ?? { ok: result.ok }));
      if (!result.ok) process.exitCode = 1;
    } finally {
      state = 'stopped';
      beating.abort();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  });
}
