import { SecretRefSchema, isSecretProblem, readSecretRef, type SecretLines } from '@imk/config';
import { ImkError } from '@imk/errors';
import type { z } from 'zod';

/**
 * Where a secret comes from, as everywhere in this project: `{ env: NAME }` or `{ file: /run/secrets/x }`
 * (a Docker or systemd secret). A secret is never written in the config itself and never logged.
 */
export const NotifySecretSchema = SecretRefSchema;
export type NotifySecret = z.infer<typeof NotifySecretSchema>;

/**
 * Reads a secret when it is used, by @imk/config's one rule (trimmed; a line break inside is an error); the
 * error names the variable or file and the field, never a value.
 */
export function readNotifySecret(
  secret: NotifySecret,
  field: string,
  env: NodeJS.ProcessEnv,
  lines: SecretLines = 'one',
): string {
  try {
    return readSecretRef(secret, env, lines);
  } catch (error) {
    if (!isSecretProblem(error)) throw error;
    throw new ImkError('NOTIFY_SECRET_MISSING', `${field}: ${error.message}`, {
      retryable: false,
      cause: error,
    });
  }
}
