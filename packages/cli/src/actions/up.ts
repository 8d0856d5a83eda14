import { ImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { contextFrom, print } from '../context.ts';
import { SERVICE_NAMES } from '../services.ts';
import { shutdownSignal } from '../shutdown.ts';
import { runServices } from '../supervisor.ts';
import '../errors.ts';

interface UpOptions {
  root?: string;
  port?: string;
  host?: string;
  only?: string;
  without?: string;
}

function parseList(text: string | undefined, flag: string): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !SERVICE_NAMES.includes(n));
  if (unknown.length > 0)
    throw new ImkError(
      'UNKNOWN_SERVICE',
      `${flag}: unknown service ${unknown.join(', ')}; services: ${SERVICE_NAMES.join(', ')}`,
    );
  return names;
}

/** `imk up` */
export async function upCommand(options: UpOptions): Promise<void> {
  const only = parseList(options.only, '--only');
  const without = parseList(options.without, '--without') ?? [];
  const names = (only ?? SERVICE_NAMES).filter((n) => !without.includes(n));
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new ImkError('INVALID_PORT', `--port ${options.port}: expected a TCP port number (0-65535)`);

  const logger = createLogger('imk-up');
  // Settings of the earlier Python version in the environment: one warning each, naming ours.
  const { paths } = contextFrom(options, logger);
  const shutdown = shutdownSignal(logger);
  try {
    const web = {
      overrides: {
        ...(port !== undefined && { port }),
        ...(options.host !== undefined && { host: options.host }),
      },
    };
    const result = await runServices({
      root: paths.root,
      logger,
      names,
      signal: shutdown.signal,
      extras: { web },
      onListening: (url) => print(`instrumental-maker is running: open ${url} (Ctrl+C stops it)`),
    });
    const missing = result.states.filter((s) => s.state === 'unavailable').map((s) => s.name);
    if (missing.length > 0) logger.warn(`not available in this installation: ${missing.join(', ')}`);
    logger.info({ services: result.states }, 'all services stopped');
    if (!result.ok) process.exitCode = 1;
  } finally {
    shutdown.dispose();
  }
  // After a clean stop the event loop is empty; a library's handle left open, or a model run a stop dropped, is not.
  shutdown.exitIfStuck();
}
