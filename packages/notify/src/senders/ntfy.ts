import type { z } from 'zod';
import { fitBytes } from '@imk/fs-safe';
import { urlForLog } from '@imk/log';
import type { NtfyTargetSchema } from '../config.ts';
import type { NotifyEventType } from '../events.ts';
import { httpRequest } from '../http.ts';
import { readNotifySecret } from '../secrets.ts';
import type { NotifySender, SenderContext } from './types.ts';

const PRIORITY = { min: 1, low: 2, default: 3, high: 4, max: 5 } as const;
/** ntfy shows these tag names as emoji. */
const TAGS: Record<NotifyEventType, string[]> = {
  'job.succeeded': ['white_check_mark', 'musical_note'],
  'job.failed': ['x', 'musical_note'],
  'sync.delivered': ['package'],
  'sync.failed': ['warning', 'package'],
};

/** ntfy's default message-size-limit: a longer message arrives as an attachment file, not as text. */
export const NTFY_MAX_MESSAGE_BYTES = 4096;
const CUT_MARK = ' […]';

/**
 * The message as ntfy shows it: at most NTFY_MAX_MESSAGE_BYTES of UTF-8, cut at a character (never inside
 * one) with a mark saying so. Other targets and the log get the whole text.
 */
export function fitNtfyMessage(message: string): string {
  if (Buffer.byteLength(message, 'utf8') <= NTFY_MAX_MESSAGE_BYTES) return message;
  return fitBytes(message, NTFY_MAX_MESSAGE_BYTES - Buffer.byteLength(CUT_MARK, 'utf8')).trimEnd() + CUT_MARK;
}

/**
 * Publishes through ntfy's JSON form (POST to the server's root with `topic` in the body), which carries
 * titles in any script; HTTP header values (the other form) are limited to Latin-1.
 */
export function createNtfySender(
  target: z.output<typeof NtfyTargetSchema>,
  name: string,
  ctx: SenderContext,
): NotifySender {
  const url = target.server.replace(/\/+$/, '') + '/';
  return {
    name,
    type: 'ntfy',
    async send(event, signal) {
      const failed = event.type.endsWith('.failed');
      const priority = PRIORITY[target.priority ?? (failed ? 'high' : 'default')];
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (target.token)
        headers.Authorization = `Bearer ${readNotifySecret(target.token, `${name}.token`, ctx.env)}`;
      await httpRequest({
        method: 'POST',
        url,
        headers,
        body: JSON.stringify({
          topic: target.topic,
          title: event.title,
          message: fitNtfyMessage(event.message),
          tags: TAGS[event.type],
          priority,
        }),
        timeoutMs: ctx.timeoutMs,
        signal,
        what: `ntfy ${name} (${urlForLog(url)})`,
        whenRefused: target.token
          ? `the server refused the token of target ${name} (token:) for this topic: check the token and that its user may publish to the topic`
          : `the topic of target ${name} needs a login on this server: give the target a token: (an access token of a user that may publish to it)`,
        // On a public server the topic is its own password: not told, even when the server quotes it back.
        hide: [target.topic],
      });
    },
  };
}
