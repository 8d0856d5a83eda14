// The local backend's destination work, in a process of its own (local-helper.ts starts it with tsx and
// talks to it over the IPC channel): a file-system call on a share that stopped answering never returns,
// and here it holds only this process, which the backend kills when it makes no progress.
import type { PutRequest } from '../types.ts';
import { errorToWire } from '../util/error-wire.ts';
import { createLocalDestination, type LocalDestination } from './local-destination.ts';
import type { HelperReply, HelperRequest } from './local-helper.ts';

let destination: LocalDestination | undefined;
const running = new Map<number, AbortController>();

const send = (reply: HelperReply): void => {
  if (process.connected) process.send?.(reply);
};

async function call(id: number, op: string, args: unknown[]): Promise<unknown> {
  if (!destination) throw new Error('the local backend helper was asked before it was set up');
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
    case 'init':
      destination = createLocalDestination(message.options, message.context);
      send({ type: 'ready' });
      return;
    case 'call':
      call(message.id, message.op, message.args).then(
        (value) => send({ type: 'done', id: message.id, value }),
        (error: unknown) => send({ type: 'failed', id: message.id, error: errorToWire(error) }),
      );
      return;
    case 'abort':
      running.get(message.id)?.abort();
      return;
    case 'endPass':
      destination?.endPass();
      return;
  }
});
// The backend let go of this helper (or its process ended): nothing is left to do here.
process.on('disconnect', () => process.exit(0));
