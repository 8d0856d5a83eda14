// Bounded waits for tests: each fails naming what it awaited and what it saw, long before the test runner's
// own "Test timed out", and never decides whether a working system passes.

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

/** A child process with its stdout piped (node's ChildProcess, or execa's). */
interface Talking {
  stdout: NodeJS.ReadableStream | null;
  stderr: NodeJS.ReadableStream | null;
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The first thing `child` writes on stdout: a helper process (a watcher, a writer, a daemon's parent) saying
 * it is ready. Fails with an Error naming `what` and what the child wrote on stderr if the child ends first
 * (a python error, a missing tool), or after `ms` without output (about half the test's time limit:
 * that bound decides only how soon the failure is reported), instead of waiting until the test's own limit.
 */
export async function firstOutput(child: Talking, what: string, ms = 60_000): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer | string) => (stderr += String(chunk)));
  const wrote = () => `it wrote on stderr: ${stderr.trim().slice(-2000) || 'nothing'}`;
  const said = new Promise<string>((resolve, reject) => {
    if (!child.stdout) throw new Error(`${what}: its stdout is not piped, so it cannot say it is ready`);
    child.stdout.once('data', (chunk: Buffer | string) => resolve(String(chunk)));
    child.once('error', (error) => reject(new Error(`${what} could not start: ${error.message}`)));
    // 'close' comes after the child's output is all read: what it said first has resolved by then.
    child.once('close', (code, signal) =>
      reject(
        new Error(`${what} ended (${signal ?? `exit ${code}`}) before it said it was ready; ${wrote()}`),
      ),
    );
  });
  return within(said, ms, `${what} to say it is ready`, wrote);
}

/** A child process that is also the promise of its result (execa's). */
interface Running<T> extends Promise<T> {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * What `child`, already asked to stop (SIGTERM sent, its signal aborted), gives when it exits. One that has
 * not exited after `ms` fails the test naming `what`, and is killed (SIGKILL) so that it outlives neither
 * the test nor its folders, instead of the test waiting until its own limit.
 */
export async function exitOf<T>(child: Running<T>, what: string, ms = 60_000): Promise<T> {
  try {
    return await within(child, ms, `${what} (pid ${child.pid}) to exit once asked to stop`);
  } catch (error) {
    if (child.exitCode !== null || child.signalCode !== null) throw error; // it exited, with a failure
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    throw new Error(`${(error as Error).message}; it was then killed (SIGKILL)`, { cause: error });
  }
}
