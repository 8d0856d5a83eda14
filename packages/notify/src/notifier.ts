import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { errorMessage } from '@imk/errors';
import { passClock } from '@imk/fs-safe';
import { redactText, type Logger } from '@imk/log';
import { createBursts } from './burst.ts';
import { eventEnabled, targetName, type NotifyConfig, type NotifyRetry } from './config.ts';
import type { SendBudget } from './digest.ts';
import type { NotifyEvent, NotifyEventInput } from './events.ts';
import {
  claimEntry,
  listEntries,
  markSettled,
  outboxClock,
  putEntry,
  readClaim,
  recoverStaleClaims,
  releaseEntry,
  setAside,
  touchClaim,
  type OutboxEntry,
} from './outbox.ts';
import { recordResult, type NotifyResult } from './results.ts';
import { createSender, type NotifySender } from './senders/index.ts';
import { resultsFile, scratchDir } from './store.ts';

export interface NotifierOptions {
  /** ImkPaths.state: the outbox and the results live in `<state>/notify/`. */
  stateDir: string;
  config: NotifyConfig;
  logger: Logger;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * "Now" on the clock of the file system `state/` is on, on which retry times are written and compared and
   * a claim's age is measured (tests: a clock of their own, or a pass later). @default read at each pass in
   * state/notify/ (outboxClock), then moved on by this process's monotonic clock: never this host's wall
   * clock, since hosts sharing state/ share the outbox
   */
  now?: () => number | Promise<number>;
  /**
   * The messages sent per target this minute (createSendBudget): openNotifier hands the one of its root to
   * each notifier a config edit makes, so an edit mid-burst does not start the count again. @default a new one
   */
  sendBudget?: SendBudget;
}

/** Sends events to the configured targets through the outbox; nothing here ever throws at a caller. */
export interface Notifier {
  /** Puts the event in the outbox for every target that wants it (none: nothing is written). */
  emit(event: NotifyEventInput): Promise<void>;
  /** One pass over the outbox: sends what is due, schedules or gives up what failed. */
  drain(): Promise<void>;
  /** Drains every pollIntervalSec and soon after an emit, until `stop()`. */
  start(): void;
  /** Stops the loop after a last pass (so `imk run` sends what its jobs emitted). */
  stop(): Promise<void>;
  readonly enabled: boolean;
}

/** The wait after the n-th failed try (n ≥ 1): firstDelay doubling each time, at most maxDelay. */
export function retryDelayMs(retry: NotifyRetry, attempts: number): number {
  return Math.min(retry.maxDelaySec, retry.firstDelaySec * 2 ** Math.max(0, attempts - 1)) * 1000;
}

function newEventId(now: number): string {
  return `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`;
}

/** A claimed entry's file: its name changes as targets are settled (see markSettled). */
interface Claim {
  path: string;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { config, stateDir } = options;
  const logger = options.logger.child({ component: 'notify' });
  const ctx = {
    env: options.env ?? process.env,
    timeoutMs: config.timeoutSec * 1000,
    scratchDir: scratchDir(stateDir),
  };
  /**
   * Records one try. A result that cannot be written (the state folder full, results.jsonl owned by
   * another user) is said in the log and changes nothing else: a sent event counted as failed was sent
   * again at every pass, for ever.
   */
  const record = (result: NotifyResult): Promise<void> =>
    recordResult(stateDir, result).catch((error: unknown) => {
      logger.warn(
        { target: result.target, event: result.event, err: errorMessage(error) },
        `could not record a notification result in ${resultsFile(stateDir)}`,
      );
    });
  const senders = new Map<string, NotifySender>();
  config.targets.forEach((target, index) => {
    const name = targetName(target, index);
    senders.set(name, createSender(target, name, ctx));
  });
  const wants = (event: NotifyEventInput) =>
    config.targets
      .map((target, index) => ({ target, name: targetName(target, index) }))
      .filter(
        ({ target }) => eventEnabled(config, event.type) && (target.events?.includes(event.type) ?? true),
      );

  // Messages sent per target read by people in the last minute: past DIGEST_AFTER, one summary.
  const bursts = createBursts({
    stateDir,
    senders,
    attempts: config.retry.attempts,
    retryDelayMs: (attempt) => retryDelayMs(config.retry, attempt),
    logger,
    record,
    budget: options.sendBudget,
  });

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  // Emits still writing their outbox file: a stop waits for them, so its last pass sees every event.
  const writing = new Set<Promise<void>>();

  /**
   * One pass's sends. `down` holds the targets that failed in this pass: their other events are not tried
   * until the next pass (no try is counted), so a receiver that never answers costs one timeout a pass,
   * not one per waiting event (a stop, which makes a last pass, would wait out all of them).
   */
  const deliver = async (
    entry: OutboxEntry,
    claim: Claim,
    down: Set<string>,
    now: () => Promise<number>,
    bursting: ReadonlyMap<string, string[]>,
  ): Promise<void> => {
    const at = await now();
    // Each line about this event names its job: one job is followed across the services' logs by its id.
    const log = entry.event.job_id === undefined ? logger : logger.child({ job_id: entry.event.job_id });
    const left: OutboxEntry['deliveries'] = [];
    const settled = new Set<number>();
    // What was settled is kept here first (the release writes what is left from it), and in the claim's name
    // as each target is settled (for a process that dies, or cannot write, before its release).
    const settle = async (index: number) => {
      settled.add(index);
      try {
        claim.path = await markSettled(claim.path, settled);
      } catch (error) {
        log.warn(
          { event: entry.event.type, event_id: entry.event.id, err: errorMessage(error) },
          `could not record a notification's progress in ${claim.path}; if this process stops before it puts back what is left, a target already reached may be sent this event again`,
        );
      }
    };
    for (const [index, delivery] of entry.deliveries.entries()) {
      // A target past its burst is sent this pass's events in one summary (bursts.sendSummary), or waits.
      if (delivery.next_at > at || down.has(delivery.target) || bursting.has(delivery.target)) {
        left.push(delivery);
        continue;
      }
      await touchClaim(claim.path);
      const attempt = delivery.attempts + 1;
      const base = {
        event: entry.event.type,
        event_id: entry.event.id,
        target: delivery.target,
        attempt,
        title: entry.event.title,
      };
      const sender = senders.get(delivery.target);
      if (!sender) {
        const error = `target ${delivery.target} is no longer configured (config/notify.yaml)`;
        log.warn({ target: delivery.target, event: entry.event.type }, `notification dropped: ${error}`);
        await record({
          ...base,
          at: new Date(at).toISOString(),
          ok: false,
          final: true,
          error,
        });
        await settle(index);
        continue;
      }
      bursts.spent(sender.name, at);
      try {
        await sender.send(entry.event);
        // Recorded as settled first: the shorter the time between the answer and the rename, the smaller
        // the window in which a crash makes this target hear the event twice.
        await settle(index);
        log.info({ target: sender.name, event: entry.event.type, attempt }, 'notification sent');
        await record({ ...base, at: new Date(await now()).toISOString(), ok: true, final: true });
      } catch (error) {
        down.add(delivery.target);
        const message = errorMessage(error);
        const final = attempt >= config.retry.attempts;
        const nextAt = (await now()) + retryDelayMs(config.retry, attempt);
        if (final)
          log.error(
            { target: sender.name, event: entry.event.type, attempt },
            `notification given up: ${message}`,
          );
        else
          log.warn(
            { target: sender.name, event: entry.event.type, attempt, retry_in_ms: nextAt - (await now()) },
            `notification failed; will retry: ${message}`,
          );
        await record({
          ...base,
          at: new Date(await now()).toISOString(),
          ok: false,
          final,
          error: message,
        });
        if (final) await settle(index);
        else left.push({ ...delivery, attempts: attempt, next_at: nextAt });
      }
    }
    entry.deliveries = left;
  };

  /**
   * "Now" on the outbox's clock for one pass: options.now, or the file system's, read once when first
   * needed (an empty outbox makes no folder) and moved on by the monotonic clock.
   */
  const outboxPassClock = (): (() => Promise<number>) => {
    const given = options.now;
    if (given) return async () => given();
    return passClock(() => outboxClock(stateDir));
  };

  const drainOnce = async (): Promise<void> => {
    const now = outboxPassClock();
    await recoverStaleClaims(stateDir, now);
    const down = new Set<string>();
    const listed = await listEntries(stateDir);
    const bursting = bursts.plan(listed, await now());
    for (const { name, entry, problem } of listed) {
      if (!entry) {
        logger.error(
          { file: name },
          `outbox entry is not readable, set aside as ${name}.invalid: ${problem ?? ''}`,
        );
        await setAside(stateDir, name);
        continue;
      }
      const at = await now();
      if (!entry.deliveries.some((d) => d.next_at <= at && !down.has(d.target) && !bursting.has(d.target)))
        continue;
      const claimed = await claimEntry(stateDir, name);
      if (!claimed) continue;
      const claim: Claim = { path: claimed };
      const current = await readClaim(claimed);
      // Put back only what deliver left: should it fail part-way, the claim stays and is taken up again
      // after STALE_CLAIM_MS without the targets its name says were settled (not with all of them).
      await deliver(current, claim, down, now, bursting);
      await releaseEntry(stateDir, claim.path, current);
    }
    for (const [target, names] of bursting)
      if (names.length > 0) await bursts.sendSummary(target, names, down, now);
  };

  const drain = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await drainOnce();
        } catch (error) {
          logger.error({ err: errorMessage(error) }, 'notification outbox pass failed; trying again later');
        }
      } while (again);
    })().finally(() => (running = undefined));
    return running;
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void drain().then(() => schedule(config.pollIntervalSec * 1000)), ms);
    timer.unref();
  };

  return {
    enabled: senders.size > 0,
    emit(input) {
      const write = emitEvent(input);
      writing.add(write);
      return write.finally(() => writing.delete(write));
    },
    drain,
    start() {
      if (senders.size === 0 || !stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(writing);
      if (senders.size > 0) await drain();
    },
  };

  async function emitEvent(input: NotifyEventInput): Promise<void> {
    const targets = wants(input);
    if (targets.length === 0) return;
    // When it happened, for the receivers and the event's id (ids start with it: the outbox lists oldest
    // first): this host's clock, or the tests' own.
    const at = options.now ? await options.now() : Date.now();
    const event: NotifyEvent = {
      ...input,
      // Failure reasons quote what failed (a link with user:password@, a token in a query, a tool's output):
      // they leave this host as log lines do, with the secrets in them hidden.
      message: redactText(input.message),
      ...(input.files !== undefined && {
        files: input.files.map((file) =>
          file.error === undefined ? file : { ...file, error: redactText(file.error) },
        ),
      }),
      id: newEventId(at),
      at: new Date(at).toISOString(),
      host: hostname(),
    };
    try {
      await putEntry(stateDir, {
        event,
        // Due at once, on whichever host's clock reads it (a time of this host's, compared by a host behind
        // it, held the event back).
        deliveries: targets.map(({ name }) => ({ target: name, attempts: 0, next_at: 0 })),
      });
    } catch (error) {
      logger.error(
        { event: input.type, job_id: input.job_id, err: errorMessage(error) },
        'could not queue a notification',
      );
      return;
    }
    if (!stopped) schedule(0);
  }
}
