import type { FastifyInstance } from 'fastify';
import { readNotifyResults } from '@imk/notify';
import type { NotificationsResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';

/**
 * The last notification and media-server refresh results, as data read from `state/notify/` (written by
 * whichever process sent them: the web service imports no other service).
 */
export function registerNotificationRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/api/notifications', async (): Promise<NotificationsResponse> => ({
    results: await readNotifyResults(ctx.paths.state, 20),
  }));
}
