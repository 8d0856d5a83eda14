import { z } from 'zod';
import { SecretRefSchema, loadServiceConfig, localPathSchema, timerMax } from '@imk/config';
import { EVENT_KEYS, NOTIFY_EVENTS, type NotifyEventType } from './events.ts';

/** The config file `config/notify.yaml` (env overrides `IMK_NOTIFY__…`), read by every process that sends. */
export const NOTIFY_CONFIG = 'notify';

const name = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -')
  .optional()
  .describe('Shown in logs and on the dashboard. @default "<type>-<index>"');
const only = z
  .array(z.enum(NOTIFY_EVENTS))
  .min(1, {
    error: `list at least one of ${NOTIFY_EVENTS.join(', ')}; to send a target nothing, remove it`,
  })
  .optional()
  .describe(
    'Only these events go to this target (each must also be on under events). Absent: all that are on.',
  );

export const WebhookTargetSchema = z.strictObject({
  type: z.literal('webhook'),
  name,
  events: only,
  url: z.url({ protocol: /^https?$/ }).describe('Receives a POST with the event as a JSON body.'),
  secret: SecretRefSchema.optional().describe(
    'HMAC-SHA256 key: the body is signed and the signature sent as `X-Imk-Signature: sha256=<hex>`.',
  ),
});

export const NtfyTargetSchema = z
  .strictObject({
    type: z.literal('ntfy'),
    name,
    events: only,
    server: z
      .url({ protocol: /^https?$/ })
      .default('https://ntfy.sh')
      .describe('The ntfy server.'),
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'ntfy topics are letters, digits, _ and -, at most 64'),
    token: SecretRefSchema.optional().describe('Access token (sent as `Authorization: Bearer …`).'),
    priority: z.enum(['min', 'low', 'default', 'high', 'max']).optional().describe('ntfy message priority.'),
  })
  .refine((t) => !serverEndsInTopic(t.server, t.topic), {
    path: ['server'],
    message:
      'ends in the topic: messages are published to the server itself with the topic in the body; give the server alone (https://ntfy.sh) and the topic under topic',
  });

/** `https://ntfy.sh/mytopic` given as the server (the address a phone subscribes to). */
function serverEndsInTopic(server: string, topic: string): boolean {
  try {
    return new URL(server).pathname.split('/').filter(Boolean).at(-1) === topic;
  } catch {
    return false;
  }
}

export const AppriseTargetSchema = z
  .strictObject({
    type: z.literal('apprise'),
    name,
    events: only,
    urls: SecretRefSchema.optional().describe(
      'Apprise URLs (one per line or space-separated; they hold tokens, so they come from env or a file). Passed to apprise in a private config file, never on its command line.',
    ),
    configFile: localPathSchema(1)
      .optional()
      .describe('An Apprise config file (text or YAML) of your own, passed as `apprise --config`.'),
    tag: z.string().min(1).optional().describe('Only the URLs of this Apprise tag (`apprise --tag`).'),
  })
  .refine((t) => t.urls !== undefined || t.configFile !== undefined, {
    message: 'give urls ({ env } or { file }) or configFile',
  });

export const NotifyTargetSchema = z.discriminatedUnion('type', [
  WebhookTargetSchema,
  NtfyTargetSchema,
  AppriseTargetSchema,
]);
export type NotifyTarget = z.output<typeof NotifyTargetSchema>;

export const NotifyRetrySchema = z.strictObject({
  attempts: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(6)
    .describe('Tries per event and target, the first included.'),
  firstDelaySec: z
    .number()
    .positive()
    .max(...timerMax('seconds'))
    .default(10)
    .describe('Wait before the second try; it doubles each time.'),
  maxDelaySec: z
    .number()
    .positive()
    .max(...timerMax('seconds'))
    .default(3600)
    .describe('The longest wait between two tries.'),
});
export type NotifyRetry = z.output<typeof NotifyRetrySchema>;

const on = (what: string) => z.boolean().default(true).describe(`Send a notification when ${what}.`);

const NotifyEventsSchema = z.strictObject({
  jobSucceeded: on('a job succeeded'),
  jobFailed: on('a job failed for good (no retry left), or its bundle was rejected as invalid'),
  syncDelivered: on('a sync pass delivered files'),
  syncFailed: on('files failed to sync for good'),
});

export const NotifyConfigSchema = z
  .strictObject({
    events: NotifyEventsSchema.default(NotifyEventsSchema.parse({})).describe(
      'Which events are sent; each can be turned off.',
    ),
    targets: z
      .array(NotifyTargetSchema)
      .default([])
      .describe('Where notifications go: webhook and ntfy are built in; apprise reaches many more services.'),
    retry: NotifyRetrySchema.default(NotifyRetrySchema.parse({})).describe(
      'A failed send is tried again later, waiting longer each time; it never fails a job or a sync.',
    ),
    timeoutSec: z
      .number()
      .positive()
      .max(...timerMax('seconds'))
      .default(15)
      .describe('How long one send may take.'),
    pollIntervalSec: z
      .number()
      .positive()
      .max(...timerMax('seconds'))
      .default(5)
      .describe('How often the outbox (state/notify/outbox/) is looked at for events other processes wrote.'),
  })
  .superRefine((config, ctx) => {
    // Events are kept and sent per target name: two targets of one name were one, and the other heard nothing.
    const first = new Map<string, number>();
    config.targets.forEach((target, index) => {
      const name = targetName(target, index);
      const earlier = first.get(name);
      if (earlier === undefined) first.set(name, index);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['targets', index, 'name'],
          message: `"${name}" is also the name of targets.${String(earlier)}${target.name === undefined || config.targets[earlier]?.name === undefined ? ' (a target without a name is called <type>-<index>)' : ''}: give each target a name of its own`,
        });
    });
  });
export type NotifyConfig = z.output<typeof NotifyConfigSchema>;

/** The name a target is known by: its own, else `<type>-<index>`. */
export function targetName(target: NotifyTarget, index: number): string {
  return target.name ?? `${target.type}-${index}`;
}

/** Whether an event is on in the config (a target's own `events` list narrows it further). */
export function eventEnabled(config: NotifyConfig, type: NotifyEventType): boolean {
  return config.events[EVENT_KEYS[type]];
}

/** Reads config/notify.yaml (absent: no targets, nothing is sent). */
export async function loadNotifyConfig(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: NotifyConfig; file: string | undefined }> {
  const loaded = await loadServiceConfig({ service: NOTIFY_CONFIG, schema: NotifyConfigSchema, root, env });
  return { config: loaded.config, file: loaded.file };
}
