import { loadNotifyConfig } from './config.ts';
import { SECRET_FIX, targetSecretProblems } from './secrets.ts';

/**
 * `imk doctor`'s check (structurally a DoctorCheck) that the secrets config/notify.yaml's targets name can
 * be read. Before, a webhook whose `secret: { env: … }` was not set passed the doctor ("config/notify.yaml
 * is valid", all checks passed) while the running services showed degraded for it and sent it nothing.
 */
export const notifySecretsCheck = {
  id: 'notify-secrets',
  title: 'notification secrets',
  group: 'notify',
  required: true,
  async run(context: {
    paths: { root: string };
    env: NodeJS.ProcessEnv;
  }): Promise<{ status: 'ok' | 'fail' | 'skip'; summary: string; fix?: string }> {
    let config;
    try {
      ({ config } = await loadNotifyConfig(context.paths.root, context.env));
    } catch {
      return { status: 'skip', summary: 'config/notify.yaml is invalid (see its config check)' };
    }
    if (config.targets.length === 0) return { status: 'skip', summary: 'no target in config/notify.yaml' };
    const problems = targetSecretProblems(config, context.env);
    if (problems.length === 0)
      return {
        status: 'ok',
        summary: `every secret of ${String(config.targets.length)} target(s) can be read`,
      };
    return {
      status: 'fail',
      summary: `a target's secret cannot be read, so nothing is sent to it: ${problems.join('; ')}`,
      fix: SECRET_FIX,
    };
  },
};
