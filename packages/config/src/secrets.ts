import { fileReadProblem, readRegularFile, readRegularFileSync } from '@imk/fs-safe';
import { ImkError } from '@imk/errors';
import { z } from 'zod';
import { SECRET_ERRORS } from './errors.ts';

/**
 * Where a secret comes from, everywhere in this project: `{ env: NAME }` or `{ file: /run/secrets/x }`
 * (a Docker or systemd secret). A secret is never written in the config itself and never logged.
 */
export const SecretRefSchema = z
  .union(
    [
      z.strictObject({
        env: z
          .string()
          .min(1)
          .describe('Name of the environment variable holding the secret (trimmed, as a file is).'),
      }),
      z.strictObject({ file: z.string().min(1).describe('File whose content (trimmed) is the secret.') }),
    ],
    {
      // zod's own word was "Invalid input": a secret written in the file itself is the usual cause.
      error: (issue) =>
        typeof issue.input === 'string'
          ? 'a secret is not written in the config itself: give { env: NAME } (an environment variable holding it) or { file: /run/secrets/name } (a file holding it)'
          : 'expected { env: NAME } or { file: /run/secrets/name }',
    },
  )
  .describe('Where a secret comes from: `{ env: NAME }` or `{ file: /run/secrets/name }`.');
export type SecretRef = z.infer<typeof SecretRefSchema>;

/**
 * A secret is one line (a password, a key, a token); `many` is for the one secret that is a list (Apprise
 * URLs, one per line), which is only trimmed.
 */
export type SecretLines = 'one' | 'many';

/**
 * The one rule for the text of a secret, wherever it was read: the spaces and line breaks around it are
 * dropped (a file ends in a line break, and so does a variable made from one: a Kubernetes or Docker secret,
 * `$(cat key)` in some shells), and a line break inside it is an error naming `from`, never quoting the
 * value (no password, key or token holds one; the file or variable holds something else, two secrets, a
 * PEM key where a path is wanted). `from` says where it was read: "environment variable X", "file F".
 */
export function secretText(raw: string, from: string, lines: SecretLines = 'one'): string {
  const value = raw.trim();
  if (lines === 'one' && /[\r\n]/.test(value))
    throw new ImkError(
      'SECRET_INVALID',
      `${from} holds a line break inside the secret (${value.split(/\r?\n|\r/).length} lines); a secret is one line: put only the secret in it`,
    );
  return value;
}

/** A secret from the environment by {@link secretText}'s rule; undefined when unset or blank. */
export function envSecret(
  env: NodeJS.ProcessEnv,
  name: string,
  lines: SecretLines = 'one',
): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  return secretText(raw, `environment variable ${name}`, lines) || undefined;
}

/**
 * The secret in a file (a link to a regular file is fine: mounted secrets are links) by {@link secretText}'s
 * rule. Errors (SECRET_MISSING, SECRET_INVALID) name the file and say what is wrong, never the value.
 */
export async function fileSecret(file: string): Promise<string> {
  let raw: string;
  try {
    raw = await readRegularFile(file);
  } catch (error) {
    throw fileMissing(file, error);
  }
  return secretText(raw, `secret file ${file}`);
}

/** {@link fileSecret}, synchronously (backends and senders are built before anything async runs). */
export function fileSecretSync(file: string, lines: SecretLines = 'one'): string {
  let raw: string;
  try {
    raw = readRegularFileSync(file);
  } catch (error) {
    throw fileMissing(file, error);
  }
  return secretText(raw, `secret file ${file}`, lines);
}

/**
 * Reads `{ env }` or `{ file }`. Throws SECRET_MISSING (unset, blank, unreadable or empty) or SECRET_INVALID
 * (a line break inside), naming the variable or file and never the value; callers put their field in front.
 */
export function readSecretRef(ref: SecretRef, env: NodeJS.ProcessEnv, lines: SecretLines = 'one'): string {
  if ('env' in ref) {
    const value = envSecret(env, ref.env, lines);
    if (value === undefined)
      throw new ImkError(
        'SECRET_MISSING',
        env[ref.env] === undefined
          ? `environment variable ${ref.env} is not set`
          : // Set, to nothing or to spaces: "not set" sent the user looking for a variable that is there.
            `environment variable ${ref.env} is empty (set, but to no secret)`,
      );
    return value;
  }
  const value = fileSecretSync(ref.file, lines);
  if (value === '') throw new ImkError('SECRET_MISSING', `secret file ${ref.file} is empty`);
  return value;
}

/** Whether `error` is one {@link readSecretRef} throws (a code of SECRET_ERRORS). */
export function isSecretProblem(error: unknown): error is ImkError & { code: keyof typeof SECRET_ERRORS } {
  return error instanceof ImkError && Object.hasOwn(SECRET_ERRORS, error.code);
}

function fileMissing(file: string, error: unknown): ImkError {
  return new ImkError('SECRET_MISSING', `cannot read secret file ${file} (${fileReadProblem(error)})`, {
    cause: error,
  });
}
