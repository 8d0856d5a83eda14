// The local backend's destination work, in a process of its own (local-helper.ts starts it with tsx and
// talks to it over the IPC channel): a file-system call on a share that stopped answering never returns,
// and here it holds only this process, which the backend kills when it makes no progress.
import type { PutRequest } from '../types.ts';
import { errorToWire } from '../util/error-wire.ts';
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

async function call(id: number, setup: DestinationSetup, op: string, args: unknown[]): Promise<unknown> {
  const destination = destinationFor(setup);
  switch (op) {
    case 'put': {
      const controller = new AbortController();
      running.set(id, controller);
      try {
        const request = { ...(args[0] as PutRequest), signal: controller.signal };
        return await destination.put(request, () => send({ type: 'progress', id }));
      } finally {
        running.delete(id);
      }
    }
    case 'stat':
      return destination.stat(String(args[0]));
    case 'hash':
      return destination.hash(String(args[0]), () => send({ type: 'progress', id }));
    case 'list':
      return destination.list(String(args[0]));
    case 'remove':
      return destination.remove(String(args[0]));
    default:
      throw new Error(`the local backend helper has no operation "${op}"`);
  }
}

process.on('message', (message: HelperRequest) => {
  switch (message.type) {
    case 'call':
      call(message.id, message.destination, message.op, message.args).then(
        (value) => send({ type: 'done', id: message.id, value }),
        (error: unknown) => send({ type: 'failed', id: message.id, error: errorToWire(error) }),
      );
      return;
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
