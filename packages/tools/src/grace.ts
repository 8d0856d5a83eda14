/** What graceAfter returns: the signal for the work under way, and how to let it go once the work is over. */
export interface Grace {
  /** Aborts `graceMs` after the stop came: the work (and the tool it runs) is stopped then, not before. */
  signal: AbortSignal;
  /** The work is over: the grace timer, if started, is cleared. */
  dispose(): void;
}

/**
 * The signal for one piece of work a service has under way (a request's download, a sync pass's transfers)
 * when `stop` may come: the work is not stopped by the stop itself, which only keeps new work from starting,
 * but `graceMs` later, if it has not finished by then. `onStop` is told when the stop comes while the work
 * runs (to say what is let finish). Its tools run in their own process group (tool-group.ts), so a Ctrl-C
 * reaches only imk and this is what decides; a second Ctrl-C ends imk and its tools at once.
 */
export function graceAfter(stop: AbortSignal | undefined, graceMs: number, onStop?: () => void): Grace {
  const controller = new AbortController();
  if (stop === undefined) return { signal: controller.signal, dispose: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const over = () => controller.abort(new Error(`the shutdown's grace period (${graceMs} ms) is over`));
  const begin = () => {
    onStop?.();
    if (graceMs <= 0) over();
    else timer = setTimeout(over, graceMs).unref();
  };
  if (stop.aborted) over();
  else stop.addEventListener('abort', begin, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      stop.removeEventListener('abort', begin);
      clearTimeout(timer);
    },
  };
}
