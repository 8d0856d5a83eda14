import type { FastifyInstance } from 'fastify';
import { errorMessage } from '@imk/errors';
import type { StatusResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { takeSnapshot } from '../snapshot.ts';

type Listener = (text: string) => void;

/** One poller for every open page: the snapshot is computed once per interval, only while someone listens. */
function createSnapshotHub(ctx: WebContext) {
  const listeners = new Set<Listener>();
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  let busy = false;
  const poll = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const snapshot: StatusResponse = await takeSnapshot(ctx);
      const text = JSON.stringify(snapshot);
      if (text !== last) {
        last = text;
        for (const listener of listeners) listener(text);
      }
    } catch (error) {
      ctx.logger.warn({ err: errorMessage(error) }, 'live update failed');
    } finally {
      busy = false;
    }
  };
  return {
    subscribe(listener: Listener): () => void {
      listeners.add(listener);
      if (last) listener(last);
      if (!timer) {
        timer = setInterval(() => void poll(), ctx.config.eventIntervalMs);
        void poll();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
          last = '';
        }
      };
    },
  };
}

/**
 * Server-sent events: `snapshot` (queues, jobs with live stage progress, disk guard, services) whenever it
 * changes, and a comment line every 15 s so that proxies keep the stream open.
 */
export function registerEventRoutes(app: FastifyInstance, ctx: WebContext): void {
  const hub = createSnapshotHub(ctx);
  app.get('/api/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const unsubscribe = hub.subscribe((text) => res.write(`event: snapshot\ndata: ${text}\n\n`));
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(ping);
      ctx.signal.removeEventListener('abort', close);
      res.end();
    };
    request.raw.on('close', close);
    ctx.signal.addEventListener('abort', close, { once: true });
  });
}
