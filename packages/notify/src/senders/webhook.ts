import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import { urlForLog } from '@imk/log';
import type { WebhookTargetSchema } from '../config.ts';
import { httpRequest } from '../http.ts';
import { readNotifySecret } from '../secrets.ts';
import type { NotifySender, SenderContext } from './types.ts';

export const SIGNATURE_HEADER = 'X-Imk-Signature';

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the shared secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** POSTs the event as JSON; signed when a secret is configured (read at each send, so a rotated file counts). */
export function createWebhookSender(
  target: z.output<typeof WebhookTargetSchema>,
  name: string,
  ctx: SenderContext,
): NotifySender {
  return {
    name,
    type: 'webhook',
    async send(event, signal) {
      const body = JSON.stringify(event);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'User-Agent': 'instrumental-maker',
        'X-Imk-Event': event.type,
        'X-Imk-Delivery': event.id,
      };
      if (target.secret)
        headers[SIGNATURE_HEADER] = signBody(
          body,
          readNotifySecret(target.secret, `${name}.secret`, ctx.env),
        );
      await httpRequest({
        method: 'POST',
        url: target.url,
        headers,
        body,
        timeoutMs: ctx.timeoutMs,
        signal,
        what: `webhook ${name} (${urlForLog(target.url)})`,
        whenRefused: `the receiver refused target ${name}: check its url (a webhook id that was changed or deleted) and, behind a login, the user:password in it`,
      });
    },
  };
}
