import { isSecretProblem, readSecretRef, type SecretLines, type SecretRef } from '@imk/config';
import { ImkError, errorMessage } from '@imk/errors';
import { targetName, type NotifyConfig } from './config.ts';
import type { MediaServer } from './media/schema.ts';
import './errors.ts';

/** What to do about a secret that cannot be read (the variable or file it names): the doctor's and the health's fix. */
export const SECRET_FIX =
  'set the variable in the environment imk runs in, then restart it (a running process never sees a variable set later), or point the secret at a file ({ file: … }, read when it is used); docs/notifications.md';

/**
 * Reads a secret when it is used, by @imk/config's one rule (trimmed; a line break inside is an error); the
 * error names the variable or file and the field, never a value.
 */
export function readNotifySecret(
  secret: SecretRef,
  field: string,
  env: NodeJS.ProcessEnv,
  lines: SecretLines = 'one',
): string {
  try {
    return readSecretRef(secret, env, lines);
  } catch (error) {
    if (!isSecretProblem(error)) throw error;
    throw new ImkError('NOTIFY_SECRET_MISSING', `${field}: ${error.message}`, { cause: error });
  }
}

/**
 * The secrets of config/notify.yaml's targets that cannot be read now, each said as the sender would
 * (`webhook-0.secret: environment variable IMK_WEBHOOK_SECRET is not set`). A target whose secret is
 * missing sends nothing, and its events are retried until they give up; a variable missing from a running
 * process's environment never appears there, so this is said at once rather than after each event.
 */
export function targetSecretProblems(config: NotifyConfig, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  config.targets.forEach((target, index) => {
    const name = targetName(target, index);
    const refs: [string, SecretRef | undefined, SecretLines][] =
      target.type === 'webhook'
        ? [['secret', target.secret, 'one']]
        : target.type === 'ntfy'
          ? [['token', target.token, 'one']]
          : [['urls', target.urls, 'many']];
    for (const [field, ref, lines] of refs) {
      if (ref === undefined) continue;
      try {
        readNotifySecret(ref, `${name}.${field}`, env, lines);
      } catch (error) {
        problems.push(errorMessage(error));
      }
    }
  });
  return problems;
}

/**
 * The secrets of nas-sync's media servers (`mediaServers.<name>.token` / `.password`) that cannot be read
 * now, each said as the refresh would say it. A server whose secret is missing is never refreshed: its
 * files are owed for ever, and before, nothing said so until the first pass that delivered.
 */
export function mediaServerSecretProblems(
  servers: Readonly<Record<string, MediaServer>>,
  env: NodeJS.ProcessEnv,
): string[] {
  const problems: string[] = [];
  for (const [name, server] of Object.entries(servers)) {
    const [field, ref] =
      server.type === 'jellyfin' || server.type === 'plex'
        ? ['token', server.token]
        : ['password', server.password];
    try {
      readNotifySecret(ref, `mediaServers.${name}.${field}`, env);
    } catch (error) {
      problems.push(errorMessage(error));
    }
  }
  return problems;
}
