import type { FastifyInstance } from 'fastify';
import type { StatusResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { takeSnapshot } from '../snapshot.ts';
import { createSnapshotHub } from '../snapshot-hub.ts';

/**
 * Server-sent events: `snapshot` (queues, jobs with live stage progress, disk guard, services) whenever it
 * changes, and a comment line every 15 s so that proxies keep the stream open.
 */
export function registerEventRoutes(app: FastifyInstance, ctx: WebContext): void {
  const hub = createSnapshotHub({
    take: (): Promise<StatusResponse> => takeSnapshot(ctx),
    intervalMs: ctx.config.eventIntervalMs,
    logger: ctx.logger,
  });
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
