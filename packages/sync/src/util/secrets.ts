import { SecretRefSchema, isSecretProblem, readSecretRef } from '@imk/config';
import { z } from 'zod';
import { syncError } from '../errors.ts';

/**
 * A secret is never written in the config itself: it names an environment variable or a file (for
 * example a Docker or systemd secret). The value is read when the backend is created and never logged.
 */
export const SecretSchema = SecretRefSchema;
export type Secret = z.infer<typeof SecretSchema>;

/** A path that is itself sensitive (an SSH key): a plain path, or `{ env }` / `{ file }` holding the path. */
export const SecretPathSchema = z.union([z.string().min(1), SecretSchema]);
export type SecretPath = z.infer<typeof SecretPathSchema>;

/** Reads a secret (@imk/config's one rule); the error names the variable or file and the field, never a value. */
export function readSecret(
  secret: Secret | string,
  field: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (typeof secret === 'string') return secret;
  try {
    return readSecretRef(secret, env);
  } catch (error) {
    if (!isSecretProblem(error)) throw error;
    throw syncError(error.code, `${field}: ${error.message}; fix it before starting nas-sync`, {
      cause: error,
    });
  }
}

/** Reads an optional secret. */
export function readOptionalSecret(
  secret: Secret | string | undefined,
  field: string,
  env?: NodeJS.ProcessEnv,
): string | undefined {
  return secret === undefined ? undefined : readSecret(secret, field, env);
}

/** Replaces every occurrence of the given sensitive strings (key paths, passwords) in tool output. */
export function redactText(text: string, sensitive: readonly (string | undefined)[]): string {
  let out = text;
  for (const value of sensitive) if (value && value.length >= 3) out = out.split(value).join('[redacted]');
  return out;
}
