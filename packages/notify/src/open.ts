import { resolvePaths } from '@imk/config';
import { errorMessage } from '@imk/errors';
import type { Logger } from '@imk/log';
import { loadNotifyConfig } from './config.ts';
import type { NotifyEventInput } from './events.ts';
import { createNotifier, type Notifier } from './notifier.ts';

/** What a service holds: emit events, and let go when it stops. */
export interface NotifierHandle {
  emit(event: NotifyEventInput): Promise<void>;
  /** The last holder in this process stops the loop after a last pass over the outbox. */
  close(): Promise<void>;
}

const shared = new Map<string, { notifier: Notifier; holders: number }>();
/** state/ folder → why notifications of this process are off (config/notify.yaml was invalid at start). */
const offSinceStart = new Map<string, string>();

/**
 * The notifier of a root, shared by every service of this process (`imk up` runs one drain loop, not
 * one per service); separate processes each run their own, and the outbox's claim-by-rename keeps two
 * of them from sending one event twice. A config/notify.yaml that is invalid is said once in the log and
 * turns notifications off: it never stops a service from doing its work.
 */
export async function openNotifier(options: {
  root: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}): Promise<NotifierHandle> {
  const paths = resolvePaths(options.root, options.env);
  let entry = shared.get(paths.state);
  if (!entry) {
    let notifier: Notifier | undefined;
    try {
      const { config } = await loadNotifyConfig(paths.root, options.env);
      notifier = createNotifier({ stateDir: paths.state, config, logger: options.logger, env: options.env });
      offSinceStart.delete(paths.state);
    } catch (error) {
      offSinceStart.set(paths.state, errorMessage(error));
      options.logger.error(
        { code: (error as { code?: string }).code },
        `notifications are off: ${errorMessage(error)}`,
      );
    }
    if (!notifier) return { emit: () => Promise.resolve(), close: () => Promise.resolve() };
    // Another service of this process may have opened it while the config was read.
    entry = shared.get(paths.state) ?? { notifier, holders: 0 };
    shared.set(paths.state, entry);
    entry.notifier.start();
  }
  entry.holders++;
  const held = entry;
  let closed = false;
  return {
    emit: (event) => held.notifier.emit(event),
    async close() {
      if (closed) return;
      closed = true;
      held.holders--;
      if (held.holders > 0) return;
      shared.delete(paths.state);
      await held.notifier.stop();
    },
  };
}

/**
 * A running service's health check (structurally a DoctorCheck): notifications are off when
 * config/notify.yaml is invalid now, or was when this process opened the notifier (it is read at start,
 * so a fixed file needs a restart). Without it an invalid file was one log line, and the dashboard green.
 */
export const notificationsHealthCheck = {
  id: 'notifications',
  title: 'notifications',
  group: 'notify',
  required: false,
  async run(context: {
    paths: { root: string; state: string };
    env: NodeJS.ProcessEnv;
  }): Promise<{ status: 'ok' | 'fail'; summary: string; fix?: string }> {
    try {
      await loadNotifyConfig(context.paths.root, context.env);
    } catch (error) {
      return {
        status: 'fail',
        summary: `off: ${errorMessage(error)}`,
        fix: 'fix config/notify.yaml as the message says (docs/notifications.md), then restart: it is read at start',
      };
    }
    const off = offSinceStart.get(context.paths.state);
    if (off !== undefined)
      return {
        status: 'fail',
        summary: `off since start (config/notify.yaml was invalid then: ${off})`,
        fix: 'the file is valid now: restart (imk up) to turn notifications on',
      };
    return { status: 'ok', summary: 'on' };
  },
};
