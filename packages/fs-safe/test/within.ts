/**
 * What `promise` gives; or, once `ms` have passed without it, an Error that says what was awaited and what
 * was seen instead (`seen`, asked only then). A wait on a signal that never comes then fails with those
 * words, not with the test runner's "Test timed out in N ms", which says nothing of what went wrong.
 *
 * The bound decides only how soon a failure is reported, never whether a working system passes: keep it
 * generous (about half the test's own time limit) and give the test its positive signal to wait on.
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  seen?: () => string | Promise<string>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const said = Promise.resolve()
        .then(() => seen?.())
        .catch((error: unknown) => `(what was seen could not be read: ${String(error)})`);
      void said.then((words) =>
        reject(new Error(`still waiting after ${ms} ms for ${what}${words ? `; ${words}` : ''}`)),
      );
    }, ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}
