import { fileReadProblem, readRegularFileSync } from '@imk/fs-safe';
import { z } from 'zod';
import { syncError } from '../errors.ts';

/**
 * A secret is never written in the config itself: it names an environment variable or a file (for
 * example a Docker or systemd secret). The value is read when the backend is created and never logged.
 */
export const SecretSchema = z
  .union([
    z.strictObject({
      env: z.string().min(1).describe('Name of the environment variable holding the secret.'),
    }),
    z.strictObject({ file: z.string().min(1).describe('File whose content (trimmed) is the secret.') }),
  ])
  .describe('Where a secret comes from: `{ env: NAME }` or `{ file: /run/secrets/name }`.');
export type Secret = z.infer<typeof SecretSchema>;

/** A path that is itself sensitive (an SSH key): a plain path, or `{ env }` / `{ file }` holding the path. */
export const SecretPathSchema = z.union([z.string().min(1), SecretSchema]);
export type SecretPath = z.infer<typeof SecretPathSchema>;

/** Reads a secret; the error names the variable or file and the field, never a value. */
export function readSecret(
  secret: Secret | string,
  field: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    const value = env[secret.env];
    if (value === undefined || value === '')
      throw syncError(
        'SECRET_MISSING',
        `${field}: environment variable ${secret.env} is not set; export it before starting nas-sync`,
      );
    return value;
  }
  try {
    return readRegularFileSync(secret.file).trim();
  } catch (error) {
    throw syncError(
      'SECRET_MISSING',
      `${field}: cannot read secret file ${secret.file} (${fileReadProblem(error)})`,
    );
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
