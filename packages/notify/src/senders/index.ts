import type { NotifyTarget } from '../config.ts';
import { createAppriseSender } from './apprise.ts';
import { createNtfySender } from './ntfy.ts';
import type { NotifySender, SenderContext } from './types.ts';
import { createWebhookSender } from './webhook.ts';

/** The sender of one configured target. */
export function createSender(target: NotifyTarget, name: string, ctx: SenderContext): NotifySender {
  switch (target.type) {
    case 'webhook':
      return createWebhookSender(target, name, ctx);
    case 'ntfy':
      return createNtfySender(target, name, ctx);
    case 'apprise':
      return createAppriseSender(target, name, ctx);
  }
}

export type { NotifySender, SenderContext } from './types.ts';
