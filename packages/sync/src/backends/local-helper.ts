import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OWN_PROCESS_GROUP, trackToolGroup } from '@imk/tools';
import { shareSilentError, syncError } from '../errors.ts';
import { errorFromWire, type WireError } from '../util/error-wire.ts';
import { mountTables } from '../util/mounts.ts';
import { watchSilence, type SilenceWatch } from '../util/process-activity.ts';
import type { LocalDestinationContext, LocalDestinationOptions } from './local-destination.ts';

/** A destination the helper works for: the backend's options and context (one helper serves a backend's). */
export interface DestinationSetup {
  options: LocalDestinationOptions;
  context: LocalDestinationContext;
}

/** A backend's destination setup for its helper: its options as the helper needs them, its name and mount tables. */
export function destinationSetup(
  options: LocalDestinationOptions,
  context: { name: string; env?: NodeJS.ProcessEnv; tempOwner?: string },
): DestinationSetup {
  const { root, fsync, verify, maxNameBytes, bandwidthLimit } = options;
  return {
    options: { root, fsync, verify, maxNameBytes, bandwidthLimit },
    context: { name: context.name, mounts: mountTables(context.env), tempOwner: context.tempOwner },
  };
}

/** What the backend asks of its helper process (local-worker.ts). */
export type HelperRequest =
  | { type: 'call'; id: number; destination: DestinationSetup; op: HelperOp; args: unknown[] }
  | { type: 'abort'; id: number }
  | { type: 'endPass' };

/**
 * What the helper says back: set up, an operation's progress (with `pid`: it started that tool process, which
 * is killed with the helper), its value or its error.
 */
export type HelperReply =
  | { type: 'ready' }
  | { type: 'progress'; id: number; pid?: number }
  | { type: 'done'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: WireError };

/**
 * The local backend's operations, and those of rsync to a folder here (the checks before a copy, the rsync run
 * with the folder it writes to, the check and commit of its copies, the sweep of its partials, `imk cleanup`'s
 * sweep of its leftovers) and of rclone to a remote here (the checks, what stands at a path, the read-back).
 */
export type HelperOp =
  | 'put'
  | 'stat'
  | 'hash'
  | 'list'
  | 'remove'
  | 'checkTarget'
  | 'statKind'
  | 'rsyncCopy'
  | 'rsyncVerify'
  | 'rsyncSweep'
  | 'rsyncLeftovers';

const WORKER = fileURLToPath(new URL('./local-worker.ts', import.meta.url));
// The helper runs the TypeScript sources as the `imk` command does (bin/imk.js): through tsx's loader.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** How long a helper no backend uses is kept for the next pass before it is let go. */
const IDLE_MS = 2000;

/** One destination operation: where it works (for the message) and how it ends. */
interface Pending {
  where: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** The no-progress watch on it (watchSilence). */
  watch?: SilenceWatch;
  /** Tool processes the operation started (rsync): killed with the helper, which cannot end them itself. */
  pids: number[];
  /** How long it may go without progress. */
  silentMs: number;
}

/**
 * A helper process doing a local backend's destination work (local-worker.ts), or an rsync backend's to a
 * folder on this host, with a watchdog on each
 * operation: one that makes no progress for `silentMs` (no chunk copied, no answer) is on a share that stopped
 * answering; the helper is killed, every operation it had fails UNREACHABLE for this pass, and until the
 * killed process has ended (it may not before the share answers) the backend's operations fail at once
 * rather than start another process that would wait beside it.
 */
export class LocalHelper {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The killed helper that has not ended yet, and since when its share has not answered. */
  private stuck: { since: Date; where: string; silentMs: number } | undefined;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    /** The backend's name, for messages. */
    private readonly name: string,
    private readonly silentMs: number,
  ) {}

  /**
   * Runs `op` for `destination` in the helper; `where` (the destination folder it works in) names it in
   * messages; `signal` stops a put; `minSilentMs`, for work that says its progress less often (an rsync run
   * prints it once a second), is the least time it may go without progress.
   */
  async call<T>(
    destination: DestinationSetup,
    op: HelperOp,
    args: unknown[],
    where: string,
    signal?: AbortSignal,
    minSilentMs = 0,
  ): Promise<T> {
    this.throwIfStuck();
    clearTimeout(this.idle);
    const child = this.start();
    await this.ready;
    // Given up while it started (another operation's share stopped answering): not asked any more.
    this.throwIfStuck();
    if (!child.connected) throw this.ended('before it was asked');
    const id = this.nextId++;
    const done = new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        where,
        resolve,
        reject,
        pids: [],
        silentMs: Math.max(this.silentMs, minSilentMs),
      };
      this.pending.set(id, entry);
      this.watch(id, entry);
    });
    this.busy(true);
    const abort = () => child.connected && child.send({ type: 'abort', id } satisfies HelperRequest);
    signal?.addEventListener('abort', abort, { once: true });
    child.send({ type: 'call', id, destination, op, args } satisfies HelperRequest);
    if (signal?.aborted) abort();
    try {
      return await done;
    } finally {
      signal?.removeEventListener('abort', abort);
      if (this.pending.size === 0) this.busy(false);
    }
  }

  /** The end of a pass: the helper reads the mount tables again, and is let go unless used again soon. */
  endPass(): void {
    if (this.child?.connected) this.child.send({ type: 'endPass' } satisfies HelperRequest);
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.pending.size === 0) this.stop();
    }, IDLE_MS).unref();
  }

  private start(): ChildProcess {
    if (this.child?.connected) return this.child;
    // Its stderr (a crash's trace) is passed on, not inherited: a helper held by a share that stopped answering
    // outlives this process, and would keep this process's stderr open for whoever reads it to its end (a pipe
    // to `tee`, a test's execa) until the share answers.
    // In a process group of its own with the rsync it runs (tool-group.ts): a Ctrl-C meant for imk does not end
    // the helper, and the copy under way with it, while imk lets that copy finish.
    const child = trackToolGroup(
      fork(WORKER, [], {
        ...OWN_PROCESS_GROUP,
        execArgv: ['--import', TSX],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      }),
    );
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (reply: HelperReply) => {
        if (reply.type === 'ready') resolve();
        else this.answer(reply);
      });
      // Only the current helper's end fails the work waiting: one let go (idle) may end after another started.
      child.once('exit', (code, signal) => {
        const error = this.ended(signal ?? `exit code ${code}`);
        reject(error);
        if (this.child !== child) return;
        this.child = undefined;
        this.failAll(() => error);
      });
      child.on('error', (error) => {
        reject(error);
        if (this.child === child) this.failAll(() => error);
      });
    });
    return child;
  }

  private answer(reply: Exclude<HelperReply, { type: 'ready' }>): void {
    const entry = this.pending.get(reply.id);
    if (!entry) return;
    if (reply.type === 'progress') {
      if (reply.pid !== undefined) entry.pids.push(reply.pid);
      entry.watch?.progress();
      return;
    }
    entry.watch?.stop();
    this.pending.delete(reply.id);
    if (reply.type === 'done') entry.resolve(reply.value);
    else entry.reject(errorFromWire(reply.error));
  }

  /**
   * The watch on an operation (watchSilence, the one rule for a silence): its processes are the helper and the
   * tools it started with theirs; a silence in which none of them worked is a share that stopped answering.
   */
  private watch(id: number, entry: Pending): void {
    const child = this.child;
    entry.watch = watchSilence({
      silentMs: entry.silentMs,
      processes: () => (child?.pid === undefined || this.child !== child ? [] : [child.pid, ...entry.pids]),
      // It answered, ended or its helper was replaced meanwhile: that watch is over.
      silent: (since) => {
        if (this.pending.get(id) === entry && this.child === child) this.kill(entry, since);
      },
    });
  }

  /** The share under the work's folder stopped answering: the helper is given up (not waited for) and its work fails. */
  private kill({ where, silentMs }: Pending, since: Date): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    this.stuck = { since, where, silentMs };
    child.removeAllListeners('message');
    child.removeAllListeners('exit');
    // A process whose request a FUSE server (or a hard NFS mount) already took cannot end, even by SIGKILL,
    // until the share answers: it is left to end then, holding nothing of ours nor this process alive.
    child.once('exit', () => {
      this.stuck = undefined;
    });
    child.kill('SIGKILL');
    // Its tool processes too (a process held by the share ends when it answers; rsync's --timeout ends the rest).
    for (const entry of this.pending.values())
      for (const pid of entry.pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already ended
        }
      }
    if (child.connected) child.disconnect();
    child.stderr?.destroy();
    child.unref();
    this.failAll((entry) => this.unreachable(entry.where, since, silentMs));
  }

  /** A helper given up on has not ended yet: its share still has not answered, and another would wait too. */
  private throwIfStuck(): void {
    if (this.stuck) throw this.unreachable(this.stuck.where, this.stuck.since, this.stuck.silentMs);
  }

  private ended(how: string): Error {
    return syncError(
      'TRANSFER_FAILED',
      `backend "${this.name}": its helper process for the destination's file work ended (${how}); the transfer is tried again`,
    );
  }

  private unreachable(where: string, since: Date, silentMs: number): Error {
    return shareSilentError(this.name, where, silentMs, since);
  }

  private failAll(errorFor: (entry: Pending) => Error): void {
    for (const [id, entry] of this.pending) {
      entry.watch?.stop();
      this.pending.delete(id);
      entry.reject(errorFor(entry));
    }
  }

  /** A helper at work keeps this process alive; an idle one does not (a one-shot command ends at once). */
  private busy(working: boolean): void {
    const child = this.child;
    if (!child) return;
    const channel = child.channel as { ref?(): void; unref?(): void } | undefined;
    const stderr = child.stderr as { ref?(): void; unref?(): void } | null;
    if (working) {
      child.ref();
      channel?.ref?.();
      stderr?.ref?.();
    } else {
      child.unref();
      channel?.unref?.();
      stderr?.unref?.();
    }
  }

  private stop(): void {
    const child = this.child;
    this.child = undefined;
    if (child?.connected) child.disconnect();
  }
}

/**
 * The helpers of the local backends of this process, one per backend name and share timeout, kept between
 * passes and engines (a helper process costs ~0.4 s CPU to start under tsx: not once per pass).
 */
const helpers = new Map<string, LocalHelper>();

/** The helper of the local backend `name` (made at its first use, kept for later passes and engines). */
export function localHelper(name: string, silentMs: number): LocalHelper {
  const key = JSON.stringify([name, silentMs]);
  let helper = helpers.get(key);
  if (!helper) {
    helper = new LocalHelper(name, silentMs);
    helpers.set(key, helper);
  }
  return helper;
}
