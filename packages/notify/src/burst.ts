import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { createSendBudget, digestEvent, summarised, type SendBudget } from './digest.ts';
import {
  claimEntry,
  markSettled,
  readClaim,
  releaseEntry,
  type listEntries,
  type OutboxEntry,
} from './outbox.ts';
import type { NotifyResult } from './results.ts';
import type { NotifySender } from './senders/types.ts';

export interface BurstsOptions {
  stateDir: string;
  senders: ReadonlyMap<string, NotifySender>;
  /** Tries in all (config retry.attempts), and the wait after the n-th failed one. */
  attempts: number;
  retryDelayMs: (attempt: number) => number;
  logger: Logger;
  record: (result: NotifyResult) => Promise<void>;
  /** The root's budget, kept across the notifiers of config edits (see createSendBudget). @default a new one */
  budget?: SendBudget | undefined;
}

/**
 * A notifier's bursts: how many messages each target read by people was sent this minute, which targets
 * have more due than they may still be sent (plan), and the one summary such a target is sent instead
 * (sendSummary). See digest.ts for the rule.
 */
export function createBursts(options: BurstsOptions) {
  const { stateDir, senders, logger } = options;
  const budget = options.budget ?? createSendBudget();
  const { waited } = budget;

  return {
    /** A message (or a try) was sent to the target at `at`. */
    spent: (target: string, at: number): void => budget.spend(target, at),

    /**
     * The targets read by people that have more events due than they may still be sent this minute (or
     * events that waited), each with the outbox names of those events: sent as one summary this pass, or,
     * with none left this minute (an empty list), waiting for a later pass.
     */
    plan(listed: Awaited<ReturnType<typeof listEntries>>, at: number): Map<string, string[]> {
      const due = new Map<string, string[]>();
      for (const { name, entry } of listed)
        for (const delivery of entry?.deliveries ?? [])
          if (delivery.next_at <= at) due.set(delivery.target, [...(due.get(delivery.target) ?? []), name]);
      const bursting = new Map<string, string[]>();
      for (const [target, names] of due) {
        const sender = senders.get(target);
        if (!sender || !summarised(sender)) continue;
        const left = budget.left(target, at);
        // Events that had to wait go together once the target may be sent again, however few.
        if (names.length > left || (waited.has(target) && names.length > 1))
          bursting.set(target, left === 0 ? [] : names);
        if (left === 0) waited.add(target);
        else waited.delete(target);
      }
      return bursting;
    },

    /**
     * Sends one target the events of `names` in one message (digestEvent). Each event is claimed as for a
     * single send, and settled or scheduled again as one would be: a summary that fails is a failed try of
     * each event in it, and they are summarised again at their next try.
     */
    async sendSummary(
      target: string,
      names: readonly string[],
      down: Set<string>,
      now: () => Promise<number>,
    ): Promise<void> {
      const sender = senders.get(target);
      if (!sender) return;
      const at = await now();
      const taken: { claim: string; entry: OutboxEntry; index: number }[] = [];
      for (const name of names) {
        const claim = await claimEntry(stateDir, name);
        if (!claim) continue;
        const entry = await readClaim(claim);
        const index = entry.deliveries.findIndex((d) => d.target === target && d.next_at <= at);
        if (index < 0) await releaseEntry(stateDir, claim, entry);
        else taken.push({ claim, entry, index });
      }
      if (taken.length === 0) return;
      budget.spend(target, at);
      let error: string | undefined;
      try {
        await sender.send(
          digestEvent(
            taken.map((t) => t.entry.event),
            at,
          ),
        );
        logger.info(
          { target, events: taken.length },
          `notification sent: ${String(taken.length)} events in one summary`,
        );
      } catch (failure) {
        error = errorMessage(failure);
        down.add(target);
        logger.warn(
          { target, events: taken.length },
          `a summary of ${String(taken.length)} notifications failed: ${error}`,
        );
      }
      for (const { claim, entry, index } of taken) {
        const delivery = entry.deliveries[index];
        if (!delivery) continue;
        const attempt = delivery.attempts + 1;
        const final = error === undefined || attempt >= options.attempts;
        await options.record({
          at: new Date(await now()).toISOString(),
          event: entry.event.type,
          event_id: entry.event.id,
          target,
          attempt,
          title: `${entry.event.title} (in a summary of ${String(taken.length)})`,
          ok: error === undefined,
          final,
          ...(error !== undefined && { error }),
        });
        let path = claim;
        if (final) {
          // Settled in the claim's name first: a process that dies before the release does not send it again.
          path = await markSettled(claim, new Set([index])).catch(() => claim);
          entry.deliveries.splice(index, 1);
        } else
          entry.deliveries[index] = {
            ...delivery,
            attempts: attempt,
            next_at: (await now()) + options.retryDelayMs(attempt),
          };
        await releaseEntry(stateDir, path, entry);
      }
    },
  };
}
