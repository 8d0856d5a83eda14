import { ImkError } from '@imk/errors';
import { createLogger } from '@imk/log';
import { NAS_SYNC } from '@imk/config';
import { contextFrom, print } from '../context.ts';
import { SERVICE_NAMES, loadService } from '../services.ts';
import { prepareRoot } from '../state-writable.ts';
import { shutdownSignal } from '../shutdown.ts';
import { runOneService } from '../supervisor.ts';
import '../errors.ts';

interface RunOptions {
  root?: string;
  once?: boolean;
  concurrency?: number;
}

/** `imk run [service]` */
export async function runCommand(service: string, options: RunOptions): Promise<void> {
  if (!SERVICE_NAMES.includes(service))
    throw new ImkError(
      'UNKNOWN_SERVICE',
      `unknown service "${service}"; choose one of: ${SERVICE_NAMES.join(', ')}`,
    );
  const logger = createLogger(service);
  // Settings of the earlier Python version in the environment: one warning each, naming ours.
  const { paths } = contextFrom(options, logger);
  const shutdown = shutdownSignal(logger);
  // Options of `imk run` a service may take: the worker's concurrency; alone, the YouTube API of its own.
  const extras = {
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    serveHttp: true,
  };
  try {
    const definition = await loadService(service, { code: true });
    if (options.once && definition.runOnce === undefined) throw noOnePassMode(service);
    let result;
    if (options.once && definition.runOnce) {
      // One pass starts no supervisor: the root is checked (and a missing one said) here, as runServices does.
      await prepareRoot(paths.root, logger);
      result = await definition.runOnce({ root: paths.root, logger, signal: shutdown.signal, ...extras });
    } else
      result = await runOneService(service, { root: paths.root, logger, signal: shutdown.signal, extras });
    if (options.once) print(JSON.stringify(result.summary ?? { ok: result.ok }));
    if (!result.ok) process.exitCode = 1;
  } finally {
    shutdown.dispose();
  }
}

/**
 * `--once` on a service that has no one-pass mode: said at once, not ignored (the service would run until
 * stopped, which a script waiting for it to exit cannot tell from a hang).
 */
function noOnePassMode(service: string): ImkError {
  const instead = service === NAS_SYNC ? ' (for one sync pass: imk sync --once)' : '';
  return new ImkError(
    'INVALID_ARGUMENT',
    `--once: the ${service} service has no one-pass mode${instead}; only instrumental-maker has one. Run it without --once (it runs until stopped).`,
  );
}
