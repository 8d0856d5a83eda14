import type { FastifyInstance } from 'fastify';
import { errorMessage, isImkError, oneIssuePerField } from '@imk/errors';
import {
  SubscriptionSchema,
  addDashboardSubscription,
  listSubscriptionStatuses,
  readDashboardSubscriptions,
  subscriptionId,
} from '@imk/retriever-sdk';
import type { SubscriptionAddedResponse, SubscriptionRow, SubscriptionsResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { replyError } from '../errors.ts';

/**
 * GET /api/subscriptions: every subscription that has run (from config or the dashboard) and those added
 * here, each with its last run. POST /api/subscriptions `{ url, mode?, every?, limit? }` adds one.
 *
 * The dashboard does not reach into the YouTube retriever: it appends to
 * `state/youtube-retriever/subscriptions.json` (written whole, then renamed), which the retriever reads
 * before each look at its subscriptions, and reads back the status files the retriever writes. A request
 * file would be consumed once; a subscription is standing state that both sides must see.
 */
const SubscriptionBodySchema = SubscriptionSchema.strict();

export function registerSubscriptionRoutes(app: FastifyInstance, ctx: WebContext): void {
  const stateDir = ctx.paths.state;
  // One writer at a time in this process: two adds must not each rewrite the file from the same old copy.
  let writing: Promise<unknown> = Promise.resolve();

  app.get('/api/subscriptions', async (): Promise<SubscriptionsResponse> => {
    const [added, statuses] = await Promise.all([
      readDashboardSubscriptions(stateDir),
      listSubscriptionStatuses(stateDir),
    ]);
    const rows: SubscriptionRow[] = added.map((subscription) => {
      const id = subscriptionId(subscription);
      return { id, source: 'dashboard', ...subscription, status: statuses.get(id) ?? null };
    });
    const known = new Set(rows.map((row) => row.id));
    for (const [id, status] of statuses)
      if (!known.has(id)) rows.push({ id, source: 'config', url: status.url, status });
    return { subscriptions: rows };
  });

  app.post('/api/subscriptions', async (request, reply) => {
    // Strict: a script's `"evrey": "1h"` is refused naming it, not saved as a subscription run every 6h.
    const parsed = SubscriptionBodySchema.safeParse(request.body);
    if (!parsed.success)
      return replyError(reply, 'INVALID_SUBSCRIPTION', {
        message: oneIssuePerField(parsed.error.issues, SubscriptionBodySchema)
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; '),
      });
    const adding = writing.then(() => addDashboardSubscription(stateDir, parsed.data));
    writing = adding.catch(() => undefined);
    try {
      const { id, added, subscription } = await adding;
      if (added) ctx.logger.info({ subscription: id, url: subscription.url }, 'subscription added');
      return reply
        .code(added ? 201 : 200)
        .send({ id, added, subscription } satisfies SubscriptionAddedResponse);
    } catch (error) {
      return reply.code(isImkError(error) ? 409 : 500).send({
        error: isImkError(error) ? error.code : 'SUBSCRIPTION_NOT_SAVED',
        message: errorMessage(error),
      });
    }
  });
}
