import type { Logger } from '@imk/log';
import { endToolGroups } from '@imk/tools';

/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM (every service then stops cleanly); a second
 * signal exits at once, for when a clean stop takes too long for the user. `dispose` removes the handlers.
 */
export function shutdownSignal(logger: Logger): {
  signal: AbortSignal;
  dispose: () => void;
  /**
   * For a command stopped by the signal, once it has cleaned up (nothing half-written left): ends the
   * process by that signal as soon as the command's error is said, even while a thread still holds it. See
   * endBySignal. Does nothing when no signal came.
   */
  exitOnceStopped: () => void;
  /**
   * For a command whose services have all stopped: after `ms`, if something still holds the process open,
   * ends it anyway (unref'd: this timer itself never keeps the process alive). Stopped by a signal, it ends by
   * that signal (endBySignal: a model run dropped by the stop would otherwise hold it for minutes); else by
   * process.exit with the exit code, which a supervisor restarting on failure reads.
   */
  exitIfStuck: (ms?: number) => void;
} {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      logger.warn(`${signal} again: exiting without waiting`);
      endBySignal(signal);
      return;
    }
    received = signal;
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
    exitOnceStopped: () => {
      const signal = received;
      // After the command's error is said (main's catch runs before any timer).
      if (signal !== undefined) setTimeout(() => endBySignal(signal), 0);
    },
    exitIfStuck: (ms = 5000) => {
      setTimeout(() => {
        const signal = received;
        logger.warn(
          `services stopped but something still holds the process open; ${signal === undefined ? 'exiting' : `ending it by ${signal}`}`,
        );
        if (signal !== undefined) endBySignal(signal);
        else process.exit(process.exitCode ?? 0);
      }, ms).unref();
    },
  };
}

/**
 * Ends the process by `signal`'s own default action, as a program stopped by Ctrl-C does (its parent sees it
 * killed by SIGINT). Not process.exit: that joins every thread first, and a thread inside ONNX Runtime's
 * model run (which cannot be stopped, and whose thread cannot be terminated mid-run without crashing the
 * process) is joined only when the run ends: minutes, for a large model on a slow CPU.
 */
function endBySignal(signal: NodeJS.Signals): void {
  // Ended by a signal, the process fires no exit event: the tools a job still runs, in their own process
  // group (a terminal's Ctrl-C does not reach them), end with it here.
  endToolGroups();
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/** Nothing to do: the write that went past the limit fails with EFBIG, and its caller says so. */
function onFileSizeLimit(): void {}
