import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ImkError } from '@imk/errors';

/**
 * Where a secret comes from, as everywhere in this project: `{ env: NAME }` or `{ file: /run/secrets/x }`
 * (a Docker or systemd secret). A secret is never written in the config itself and never logged.
 */
export const NotifySecretSchema = z
  .union([
    z.strictObject({
      env: z.string().min(1).describe('Name of the environment variable holding the secret.'),
    }),
    z.strictObject({ file: z.string().min(1).describe('File whose content (trimmed) is the secret.') }),
  ])
  .describe('Where a secret comes from: `{ env: NAME }` or `{ file: /run/secrets/name }`.');
export type NotifySecret = z.infer<typeof NotifySecretSchema>;

/** Reads a secret when it is used; the error names the variable or file and the field, never a value. */
export function readNotifySecret(secret: NotifySecret, field: string, env: NodeJS.ProcessEnv): string {
  if ('env' in secret) {
    // Trimmed as a file's is: a value set from a file (a Kubernetes secret, `$(cat key)` in some shells)
    // may end in a line break, which no token holds.
    const value = env[secret.env]?.trim();
    if (value === undefined || value === '')
      throw new ImkError('NOTIFY_SECRET_MISSING', `${field}: environment variable ${secret.env} is not set`, {
        retryable: false,
      });
    return value;
  }
  try {
    return readFileSync(secret.file, 'utf8').trim();
  } catch (error) {
    throw new ImkError(
      'NOTIFY_SECRET_MISSING',
      `${field}: cannot read secret file ${secret.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { retryable: false },
    );
  }
}
