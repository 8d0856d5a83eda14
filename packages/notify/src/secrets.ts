import { isSecretProblem, readSecretRef, type SecretLines, type SecretRef } from '@imk/config';
import { ImkError } from '@imk/errors';
import './errors.ts';

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
