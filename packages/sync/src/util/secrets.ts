import { SecretRefSchema, isSecretProblem, readSecretRef, type SecretRef } from '@imk/config';
import { z } from 'zod';
import { syncError } from '../errors.ts';

/** A path that is itself sensitive (an SSH key): a plain path, or `{ env }` / `{ file }` holding the path. */
export const SecretPathSchema = z.union([z.string().min(1), SecretRefSchema]);
export type SecretPath = z.infer<typeof SecretPathSchema>;

/** Reads a secret (@imk/config's one rule); the error names the variable or file and the field, never a value. */
export function readSecret(
  secret: SecretRef | string,
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
  secret: SecretRef | string | undefined,
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
