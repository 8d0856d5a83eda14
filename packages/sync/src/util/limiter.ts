/** Runs at most `limit` tasks at once (a tiny p-limit). */
export interface Limiter {
  <T>(task: () => Promise<T>): Promise<T>;
}

export function createLimiter(limit: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const next = (): void => {
    if (active >= limit) return;
    const start = waiting.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

/** Takes one slot of a limiter and holds it until the function it resolves with is called. */
export function takeSlot(limit: Limiter): Promise<() => void> {
  return new Promise((resolve) => {
    void limit(() => new Promise<void>((release) => resolve(release)));
  });
}
