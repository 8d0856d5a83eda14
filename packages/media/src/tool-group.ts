// The tools a job runs (ffmpeg, ffprobe, demucs) in a process group of their own. Ctrl-C in a terminal sends
// SIGINT to every process of the foreground group: in imk's group, the tools died under a job that imk meant
// to let finish (its grace period), and the job failed (FFMPEG_FAILED "killed by SIGINT", or for good as
// MEDIA_UNREADABLE when ffprobe died). In their own group, a stop is imk's to decide: the job finishes, or its
// abort signal stops the tool. Since the terminal no longer ends them, imk ends them when it ends.

/** Execa options for a tool process of a job: its own process group (setsid), so a terminal's signals skip it. */
export const OWN_PROCESS_GROUP = { detached: true } as const;

const running = new Set<number>();

/**
 * Remembers a tool started with OWN_PROCESS_GROUP until it ends, so that endToolGroups can end it with imk.
 * Returns `subprocess`.
 */
export function trackToolGroup<T extends { pid?: number | undefined } & PromiseLike<unknown>>(
  subprocess: T,
): T {
  const pid = subprocess.pid;
  if (pid === undefined) return subprocess;
  running.add(pid);
  const done = () => running.delete(pid);
  subprocess.then(done, done);
  return subprocess;
}

/**
 * Ends every tool group still running (SIGKILL: imk is ending, nobody reads what they write). Called as imk
 * ends: on process exit, and by the CLI before it ends by a signal (which fires no exit event).
 */
export function endToolGroups(): void {
  for (const pid of running)
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  running.clear();
}

process.on('exit', endToolGroups);
