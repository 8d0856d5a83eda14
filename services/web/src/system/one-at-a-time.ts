/** Per key, the request being handled: the later ones with that key wait for it (it may fail: still waited). */
const handling = new Map<string, Promise<void>>();

/**
 * Runs `work` once every earlier call with the same key has finished: for a request that first looks for
 * what an earlier one queued and then queues its own ("Separate again", "Save this mix"). Side by side (a
 * double click, two tabs) each looked before either had queued, found nothing, and each queued its own.
 * `onWait` is called when this call waits for an earlier one. The key names the root too: two roots served
 * by one process (tests, two dashboards) share only job ids.
 */
export function oneAtATime<T>(key: string, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  const handled = handling.get(key);
  // Said (a debug line) so that a wait can be seen, and waited on by tests.
  if (handled) onWait?.();
  const before = handled ?? Promise.resolve();
  const mine = before.then(work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  handling.set(key, settled);
  void settled.then(() => {
    if (handling.get(key) === settled) handling.delete(key);
  });
  return mine;
}
