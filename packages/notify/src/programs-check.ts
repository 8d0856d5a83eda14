import { errorMessage } from '@imk/errors';
import { loadNotifyConfig, targetName } from './config.ts';
import { findApprise } from './senders/apprise.ts';

/**
 * `imk doctor`'s check (structurally a DoctorCheck) that the programs config/notify.yaml's targets need are
 * installed: apprise for an `apprise` target (webhook and ntfy need none). Without it a missing apprise
 * was found only when the first notification failed, hours later, in the notification results.
 */
export const notifyProgramsCheck = {
  id: 'notify-programs',
  title: 'notification programs',
  group: 'notify',
  required: true,
  async run(context: {
    paths: { root: string };
    env: NodeJS.ProcessEnv;
  }): Promise<{ status: 'ok' | 'fail' | 'skip'; summary: string; fix?: string }> {
    let targets: string[];
    try {
      const { config } = await loadNotifyConfig(context.paths.root, context.env);
      targets = config.targets.flatMap((t, i) => (t.type === 'apprise' ? [targetName(t, i)] : []));
    } catch {
      return { status: 'skip', summary: 'config/notify.yaml is invalid (see its config check)' };
    }
    if (targets.length === 0) return { status: 'skip', summary: 'no apprise target in config/notify.yaml' };
    const named = `target${targets.length > 1 ? 's' : ''} ${targets.map((t) => `"${t}"`).join(', ')}`;
    try {
      return { status: 'ok', summary: `apprise ${await findApprise(context.env)} (for ${named})` };
    } catch (error) {
      return {
        status: 'fail',
        summary: `${named}: ${errorMessage(error)}; until then their notifications fail (each is retried, then recorded as failed)`,
        fix: 'sudo apt-get install -y apprise (or set IMK_APPRISE to its path)',
      };
    }
  },
};
