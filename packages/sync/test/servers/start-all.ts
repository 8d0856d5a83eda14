/** Something a test starts and must end: a server (`stop`) or a temp folder (`remove`). */
export type Started = { stop(): Promise<void> } | { remove(): Promise<void> };

/** Ends what `startAll` (or a test) started, whichever way it ends. */
export async function endStarted(started: Started | undefined): Promise<void> {
  if (started === undefined) return;
  await ('stop' in started ? started.stop() : started.remove());
}

/**
 * Starts every server (and temp folder) at once. When any fails to start, those that did start are ended
 * before the first failure is thrown: with `[a, b] = await Promise.all([...])` a failed start left the
 * others unassigned, so `afterAll` could not stop them (an sshd, an s3rver left running after the test run).
 */
export async function startAll<T extends Record<string, () => Promise<Started>>>(
  starters: T,
): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const names = Object.keys(starters);
  const settled = await Promise.allSettled(names.map((name) => starters[name]!()));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.allSettled(
      settled.map((result) => endStarted(result.status === 'fulfilled' ? result.value : undefined)),
    );
    throw failed.reason;
  }
  return Object.fromEntries(
    names.map((name, i) => [name, (settled[i] as PromiseFulfilledResult<Started>).value]),
  ) as { [K in keyof T]: Awaited<ReturnType<T[K]>> };
}
