import type { Logger } from '@imk/log';

/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM (every service then stops cleanly); a second
 * signal exits at once, for when a clean stop takes too long for the user. `dispose` removes the handlers.
 */
export function shutdownSignal(logger: Logger): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    logger.info(`${signal}: stopping (send it again to exit at once)`);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A write past the file size limit (ulimit -f) killed the whole process by SIGXFSZ's default, leaving its
  // jobs claimed with no reason given; handled, the write fails with EFBIG and the job fails naming the file.
  if (process.platform !== 'win32') process.on('SIGXFSZ', onFileSizeLimit);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGXFSZ', onFileSizeLimit);
    },
  };
}

/** Nothing to do: the write that went past the limit fails with EFBIG, and its caller says so. */
function onFileSizeLimit(): void {}

/**
 * After a clean stop the event loop should be empty; if a library left a handle open, exit anyway
 * (unref'd: this timer itself never keeps the process alive).
 */
export function exitIfStuck(logger: Logger, ms = 5000): void {
  setTimeout(() => {
    logger.warn('services stopped but something still holds the process open; exiting');
    process.exit(process.exitCode ?? 0);
  }, ms).unref();
}
