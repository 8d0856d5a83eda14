import { stat } from 'node:fs/promises';
import { configFile, resolvePaths } from '@imk/config';
import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { NOTIFY_CONFIG, eventEnabled, loadNotifyConfig, targetName, type NotifyConfig } from './config.ts';
import { createSendBudget, type SendBudget } from './digest.ts';
import { NOTIFY_EVENTS, type NotifyEventInput } from './events.ts';
import { createNotifier, type Notifier } from './notifier.ts';
import { SECRET_FIX, targetSecretProblems } from './secrets.ts';

/** What a service holds: emit events, and let go when it stops. */
export interface NotifierHandle {
  emit(event: NotifyEventInput): Promise<void>;
  /** The last holder in this process stops the loop after a last pass over the outbox. */
  close(): Promise<void>;
}

/**
 * How often config/notify.yaml is looked at for an edit (a stat); a changed file is read when it has stayed
 * the same for one more look.
 */
export const NOTIFY_CONFIG_CHECK_MS = 2000;

/** The notifier of one state/ folder in this process, and what it knows of config/notify.yaml. */
interface Shared {
  /** Undefined while the file has never been valid since this process started (notifications off). */
  notifier: Notifier | undefined;
  holders: number;
  /** The file's identity when it was last read (size, times, inode; "absent"). */
  seen: string;
  /** What the file was seen changed to at the last look (read when the next look finds it still so). */
  changedTo?: string | undefined;
  /** Why the file as it is now is not in use (invalid); undefined when what it says is what runs. */
  problem: string | undefined;
  timer: NodeJS.Timeout | undefined;
  /** A look at the file under way: emits and close wait for it. */
  checking: Promise<void> | undefined;
  /** Notifiers replaced by an edit, making their last pass: close waits for them. */
  retiring: Set<Promise<void>>;
  /** The messages sent per target this minute, kept across the notifiers of edits (createSendBudget). */
  budget: SendBudget;
}

const shared = new Map<string, Shared>();

/** Told when config/notify.yaml was read again (taken, or found not valid): notificationsHealthCheck.watch. */
const configListeners = new Set<() => void>();

function tellConfigListeners(): void {
  for (const listener of configListeners) listener();
}

/** What changes when config/notify.yaml is edited: saved by any editor (rename or in place), or removed. */
async function fileIdentity(file: string): Promise<string> {
  try {
    const s = await stat(file, { bigint: true });
    return `${String(s.ino)}:${String(s.size)}:${String(s.mtimeNs)}:${String(s.ctimeNs)}`;
  } catch {
    return 'absent';
  }
}

/** One line saying where notifications go now (said at start and after each edit that was taken). */
function describeConfig(config: NotifyConfig): string {
  const names = config.targets.map((target, index) => targetName(target, index));
  if (names.length === 0) return 'no targets: nothing is sent';
  const off = NOTIFY_EVENTS.filter((type) => !eventEnabled(config, type));
  return `targets ${names.join(', ')}${off.length > 0 ? ` (off: ${off.join(', ')})` : ''}`;
}

/**
 * The notifier of a root, shared by every service of this process (`imk up` runs one drain loop, not
 * one per service); separate processes each run their own, and the outbox's claim-by-rename keeps two
 * of them from sending one event twice. A config/notify.yaml that is invalid is said once in the log and
 * turns notifications off; it never stops a service from doing its work. An edit of the file is taken
 * within twice NOTIFY_CONFIG_CHECK_MS and said; an edit that is not valid is said and leaves the settings read
 * before in use (none: off), so a typo while editing does not silence notifications.
 */
export async function openNotifier(options: {
  root: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<NotifierHandle> {
  const paths = resolvePaths(options.root, options.env);
  const file = configFile(paths.root, NOTIFY_CONFIG);
  const logger = options.logger.child({ component: 'notify' });
  let entry = shared.get(paths.state);
  if (!entry) {
    const state: Shared = {
      notifier: undefined,
      holders: 0,
      seen: '',
      problem: undefined,
      timer: undefined,
      checking: undefined,
      retiring: new Set(),
      budget: createSendBudget(),
    };
    entry = state;
    shared.set(paths.state, state);
    // Another service of this process opening it meanwhile waits for this first read (its emits too).
    state.checking = readConfig(state, true).finally(() => (state.checking = undefined));
    state.timer = setInterval(() => {
      state.checking ??= lookAgain(state).finally(() => (state.checking = undefined));
    }, NOTIFY_CONFIG_CHECK_MS);
    state.timer.unref();
  }
  entry.holders++;
  const held = entry;
  await held.checking;
  let closed = false;

  /** Reads and checks the file; takes it when valid. `first`: at start, where "changed" is not said. */
  async function readConfig(state: Shared, first: boolean): Promise<void> {
    state.seen = await fileIdentity(file);
    let config: NotifyConfig;
    try {
      ({ config } = await loadNotifyConfig(paths.root, options.env));
    } catch (error) {
      const problem = errorMessage(error);
      if (problem !== state.problem)
        logger.error(
          { code: (error as { code?: string }).code },
          state.notifier === undefined
            ? `notifications are off: ${problem}`
            : `config/notify.yaml was changed but is not valid, so the settings read before stay in use until it is fixed: ${problem}`,
        );
      state.problem = problem;
      if (!first) tellConfigListeners();
      return;
    }
    state.problem = undefined;
    const before = state.notifier;
    state.notifier = createNotifier({
      stateDir: paths.state,
      config,
      logger: options.logger,
      env: options.env,
      sendBudget: state.budget,
    });
    state.notifier.start();
    if (!first) {
      logger.info({ file }, `config/notify.yaml was changed and is read again: ${describeConfig(config)}`);
      tellConfigListeners();
    } else if (state.seen !== 'absent') logger.info({ file }, `notifications: ${describeConfig(config)}`);
    if (!before) return;
    // The one it replaces makes a last pass (events due now, to the targets they were written for) and
    // stops, without holding up emits (a receiver that hangs costs a pass its timeout); both drain the one
    // outbox, whose claims keep them from sending an event twice.
    const retired: Promise<void> = before.stop().finally(() => state.retiring.delete(retired));
    state.retiring.add(retired);
  }

  async function lookAgain(state: Shared): Promise<void> {
    const now = await fileIdentity(file);
    // Taken once it has stayed the same for one look: an editor that empties the file, then writes it,
    // is not read half-way (an empty file is valid: no targets, and events emitted then went nowhere).
    if (now === state.seen || now !== state.changedTo) {
      state.changedTo = now === state.seen ? undefined : now;
      return;
    }
    try {
      await readConfig(state, false);
    } catch (error) {
      logger.error({ err: errorMessage(error) }, 'config/notify.yaml could not be read again');
    }
  }

  return {
    async emit(event) {
      await held.checking;
      await held.notifier?.emit(event);
    },
    async close() {
      if (closed) return;
      closed = true;
      held.holders--;
      if (held.holders > 0) return;
      shared.delete(paths.state);
      clearInterval(held.timer);
      await held.checking;
      await Promise.all([held.notifier?.stop(), ...held.retiring]);
    },
  };
}

/**
 * A running service's health check (structurally a DoctorCheck): notifications are off while
 * config/notify.yaml has never been valid since this process started, and the file is said to be invalid
 * while the settings read before it was broken stay in use. Without it an invalid file was one log line,
 * and the dashboard green.
 */
export const notificationsHealthCheck = {
  id: 'notifications',
  title: 'notifications',
  group: 'notify',
  required: false,
  /**
   * An edit of config/notify.yaml is taken within seconds: the health says so then. Before, the dashboard
   * and /readyz went on saying "off: invalid configuration" for up to a minute after the fix was read.
   */
  watch(onChange: () => void): () => void {
    configListeners.add(onChange);
    return () => configListeners.delete(onChange);
  },
  async run(context: {
    paths: { root: string; state: string };
    env: NodeJS.ProcessEnv;
  }): Promise<{ status: 'ok' | 'fail'; summary: string; fix?: string }> {
    const running = shared.get(context.paths.state)?.notifier !== undefined;
    let config;
    try {
      ({ config } = await loadNotifyConfig(context.paths.root, context.env));
    } catch (error) {
      return {
        status: 'fail',
        summary: running
          ? `config/notify.yaml is not valid, the settings read before it was changed are in use: ${errorMessage(error)}`
          : `off: ${errorMessage(error)}`,
        fix: `fix config/notify.yaml as the message says (docs/notifications.md): it is read again within ${String((2 * NOTIFY_CONFIG_CHECK_MS) / 1000)} s of an edit`,
      };
    }
    const missing = targetSecretProblems(config, context.env);
    if (missing.length > 0)
      return {
        status: 'fail',
        summary: `a target's secret cannot be read, so nothing is sent to it: ${missing.join('; ')}`,
        fix: SECRET_FIX,
      };
    return { status: 'ok', summary: 'on' };
  },
};
