// The local backend's destination work, in a process of its own (local-helper.ts starts it with tsx and
// talks to it over the IPC channel): a file-system call on a share that stopped answering never returns,
// and here it holds only this process, which the backend kills when it makes no progress.
import type { PutRequest } from '../types.ts';
import { errorFromWire, errorToWire, type WireError } from '../util/error-wire.ts';
import type { ImkError } from '@imk/errors';
import type { BatchItem } from './rsync-batch.ts';
import type { SweepRsyncLeftoversOptions } from './rsync-leftovers.ts';
import { createLocalDestination, type LocalDestination } from './local-destination.ts';
import type { DestinationSetup, HelperReply, HelperRequest } from './local-helper.ts';

/** The destinations asked for, by their setup: each keeps its throttle and its mount check for the pass. */
const destinations = new Map<string, LocalDestination>();
const running = new Map<number, AbortController>();

const send = (reply: HelperReply): void => {
  if (process.connected) process.send?.(reply);
};

function destinationFor(setup: DestinationSetup): LocalDestination {
  const key = JSON.stringify(setup);
  let destination = destinations.get(key);
  if (!destination) {
    destination = createLocalDestination(setup.options, setup.context);
    destinations.set(key, destination);
  }
  return destination;
}

/** Runs `op`; `signal` is stopped by the backend's abort message (a put, an rsync run). */
async function call(
  id: number,
  setup: DestinationSetup,
  op: string,
  args: unknown[],
  signal: AbortSignal,
): Promise<unknown> {
  const destination = destinationFor(setup);
  const progress = () => send({ type: 'progress', id });
  switch (op) {
    case 'put':
      return destination.put({ ...(args[0] as PutRequest), signal }, progress);
    case 'stat':
      return destination.stat(String(args[0]));
    case 'hash':
      return destination.hash(String(args[0]), progress);
    case 'list':
      return destination.list(String(args[0]));
    case 'remove':
      return destination.remove(String(args[0]));
    // What stands at a path (links followed), for rclone to a remote on this host: anything but a regular file
    // is never the same content.
    case 'statKind': {
      const { stat } = await import('node:fs/promises');
      const info = await stat(String(args[0])).catch(() => undefined);
      return info && { bytes: info.size, regular: info.isFile() };
    }
    // rsync to a folder on this host (rsync.ts): the same checks, the rsync run, its copies into place.
    case 'checkTarget':
      return destination.checkTarget(
        String(args[0]),
        String(args[1]),
        args[2] as { backend: string; route?: string },
      );
    case 'rsyncCopy': {
      const [binary, rsyncArgs, folder] = args as [string, string[], string];
      const { makeLocalFolder } = await import('./rsync-batch.ts');
      const { runTool } = await import('../util/run-tool.ts');
      await makeLocalFolder(folder);
      progress();
      return runTool(binary, rsyncArgs, {
        signal,
        onStart: (pid) => send({ type: 'progress', id, pid }),
        onOutput: progress,
        inHelper: true,
      });
    }
    case 'rsyncVerify': {
      const [items, how, copyError] = args as [
        BatchItem[],
        { verify: 'sha256' | 'size'; fsync: boolean },
        WireError | undefined,
      ];
      const { verifyLocal } = await import('./rsync-batch.ts');
      const error = copyError && (errorFromWire(copyError) as ImkError);
      const outcomes = await verifyLocal(items, how, error, progress);
      return outcomes.map((outcome) =>
        outcome.ok ? outcome : { ok: false, error: errorToWire(outcome.error) },
      );
    }
    case 'rsyncSweep': {
      // No writer (a backend made on its own) crosses as null.
      const [partialDir, owner, dirs, kept] = args as [string, string | null, string[], string[]];
      const { sweepPartialsHere } = await import('./rsync-partials.ts');
      return sweepPartialsHere(partialDir, owner ?? undefined, dirs, kept);
    }
    // `imk cleanup`'s sweep of what interrupted rsync runs left in a folder here (rsync-leftovers.ts).
    case 'rsyncLeftovers': {
      const { sweepRsyncLeftovers } = await import('./rsync-leftovers.ts');
      return sweepRsyncLeftovers({ ...(args[0] as SweepRsyncLeftoversOptions), progress });
    }
    default:
      throw new Error(`the local backend helper has no operation "${op}"`);
  }
}

process.on('message', (message: HelperRequest) => {
  switch (message.type) {
    case 'call': {
      // Registered before any work: an abort sent right after the call stops it wherever it is.
      const controller = new AbortController();
      running.set(message.id, controller);
      call(message.id, message.destination, message.op, message.args, controller.signal)
        .finally(() => running.delete(message.id))
        .then(
          (value) => send({ type: 'done', id: message.id, value }),
          (error: unknown) => send({ type: 'failed', id: message.id, error: errorToWire(error) }),
        );
      return;
    }
    case 'abort':
      running.get(message.id)?.abort();
      return;
    case 'endPass':
      for (const destination of destinations.values()) destination.endPass();
      return;
  }
});
// The backend let go of this helper (or its process ended): nothing is left to do here.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
