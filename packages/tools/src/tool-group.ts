// Every external tool imk runs (ffmpeg, ffprobe and demucs for a job; rsync, ssh, rclone, stat and the local
// helper for nas-sync; yt-dlp and deemix for the retrievers; apprise) in a process group of its own. Ctrl-C in
// a terminal sends SIGINT to every process of the foreground group: in imk's group, the tools died under the
// work that imk meant to let finish (its grace period), and the work failed, an attempt spent (FFMPEG_FAILED
// "killed by SIGINT", a delivery failed by rsync's "received SIGINT"), or for good (MEDIA_UNREADABLE when
// ffprobe died). In their own group, a stop is imk's to decide: the work finishes, or its abort signal stops
// the tool. Since the terminal no longer ends them, imk ends them when it ends. One home, here beside the
// tool resolver every one of them is found through, so that no service or package keeps a second list.

/** Execa (or child_process) options for a tool process: its own process group (setsid), so a terminal's signals skip it. */
export const OWN_PROCESS_GROUP = { detached: true } as const;

const running = new Set<number>();

/** A started tool: an execa subprocess (a promise of its result) or a child_process one (its `exit` event). */
type Started = { pid?: number | undefined } & (
  PromiseLike<unknown> | { once(event: 'exit', listener: () => void): unknown }
);

/**
 * Remembers a tool started with OWN_PROCESS_GROUP until it ends, so that endToolGroups can end it (and every
 * process it started) with imk. Returns `subprocess`.
 */
export function trackToolGroup<T extends Started>(subprocess: T): T {
  const pid = subprocess.pid;
  if (pid === undefined) return subprocess;
  running.add(pid);
  const done = () => running.delete(pid);
  const started: Started = subprocess;
  if ('then' in started) started.then(done, done);
  else started.once('exit', done);
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
