import { Option, type Command } from 'commander';
import { ImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { logFormatOption } from '../log-format.ts';
import { warnLegacyEnv } from '@imk/config';
import { contextFrom, print, withRoot } from '../context.ts';
import { SERVICE_NAMES, loadService } from '../services.ts';
import { shutdownSignal } from '../shutdown.ts';
import { runOneService } from '../supervisor.ts';

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
    if (!SERVICE_NAMES.includes(service))
      throw new ImkError(
        'UNKNOWN_SERVICE',
        `unknown service "${service}"; choose one of: ${SERVICE_NAMES.join(', ')}`,
      );
    const { paths } = contextFrom(options);
    const logger = createLogger(service);
    // Settings of the earlier Python version in the environment: one warning each, naming ours.
    warnLegacyEnv(logger);
    const shutdown = shutdownSignal(logger);
    // Options of `imk run` a service may take: the worker's concurrency; alone, the YouTube API of its own.
    const extras = {
      ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
      serveHttp: true,
    };
    try {
      const definition = await loadService(service);
      const result =
        options.once && definition.runOnce
          ? await definition.runOnce({ root: paths.root, logger, signal: shutdown.signal, ...extras })
          : await runOneService(service, { root: paths.root, logger, signal: shutdown.signal, extras });
      if (options.once) print(JSON.stringify(result.summary ?? { ok: result.ok }));
      if (!result.ok) process.exitCode = 1;
    } finally {
      shutdown.dispose();
    }
  });
}
