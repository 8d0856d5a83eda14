import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { cutText } from '@imk/fs-safe';
import type { NotifyEvent, NotifyEventType } from './events.ts';
import type { NotifySender } from './senders/types.ts';

/**
 * A person's phone or chat (ntfy, apprise) is sent at most this many messages per target in
 * DIGEST_WINDOW_MS; events beyond wait, then go together in one summary message. 200 jobs finishing
 * together were 200 pushes (and ntfy.sh refuses a burst past 60 with HTTP 429, so many were given up).
 * A webhook is a program's: it gets every event on its own.
 */
export const DIGEST_AFTER = 5;
export const DIGEST_WINDOW_MS = 60_000;
/** Lines a summary lists; the others are counted. */
const LISTED = 20;

const LABEL: Record<NotifyEventType, string> = {
  'job.succeeded': 'done',
  'job.failed': 'failed',
  'sync.delivered': 'synced',
  'sync.failed': 'sync failed',
};

/** Whether a target's events may be summarised: those read by people, not programs. */
export const summarised = (sender: NotifySender): boolean => sender.type !== 'webhook';

/**
 * How many messages each target may still be sent (this process's own count, over the last
 * DIGEST_WINDOW_MS), on the clock of the notifier's passes, and which targets had events wait for it. One
 * per root in a process (openNotifier keeps it), handed to each notifier config/notify.yaml's edits make:
 * a notifier made anew for an edit started from a full budget, so editing the file mid-burst let another
 * DIGEST_AFTER pushes through in the same minute. Kept by target name.
 */
export function createSendBudget() {
  const sent = new Map<string, number[]>();
  const recent = (target: string, at: number): number[] => {
    const kept = (sent.get(target) ?? []).filter((time) => time > at - DIGEST_WINDOW_MS && time <= at);
    sent.set(target, kept);
    return kept;
  };
  return {
    left: (target: string, at: number): number => Math.max(0, DIGEST_AFTER - recent(target, at).length),
    spend: (target: string, at: number): void => void recent(target, at).push(at),
    /** Targets whose due events waited for the budget at an earlier pass: sent together in one summary. */
    waited: new Set<string>(),
  };
}
export type SendBudget = ReturnType<typeof createSendBudget>;

/**
 * One message for many events: the title counts them by kind, the message lists them (a failure with its
 * reason), at most LISTED. Its type is the first failure's, else the first event's (ntfy's priority and
 * tags and Apprise's notification type follow it).
 */
export function digestEvent(events: readonly NotifyEvent[], at: number): NotifyEvent {
  const counts = new Map<NotifyEventType, number>();
  for (const event of events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  const lines = events
    .slice(0, LISTED)
    .map((event) =>
      event.type.endsWith('.failed') ? `${event.title}: ${cutText(event.message, 200)}` : event.title,
    );
  if (events.length > LISTED) lines.push(`… and ${String(events.length - LISTED)} more`);
  const first = events.find((event) => event.type.endsWith('.failed')) ?? events[0];
  return {
    type: first?.type ?? 'job.succeeded',
    id: `${new Date(at).toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`,
    at: new Date(at).toISOString(),
    host: hostname(),
    title: `${[...counts].map(([type, n]) => `${String(n)} ${LABEL[type]}`).join(', ')} (${String(events.length)} notifications at once)`,
    message: lines.join('\n'),
    count: events.length,
  };
}
