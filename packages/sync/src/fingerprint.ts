import { createHash } from 'node:crypto';
import { readRegularFileSync } from '@imk/fs-safe';
import { secretText } from '@imk/config';

/**
 * A hash of a backend's options, with each secret reference replaced by a hash of its current value. When
 * the user fixes a key, a password or a host, the fingerprint changes and transfers that failed for good
 * with the old settings are tried again. The secret values themselves never leave this function.
 */
export function backendFingerprint(options: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify(options, (key, value: unknown) =>
      // A key file named by a plain path: its content counts, so replacing the key counts as a change.
      key === 'privateKeyFile' && typeof value === 'string'
        ? resolveRefs({ file: value }, env)
        : resolveRefs(value, env),
    ),
  );
  return hash.digest('hex').slice(0, 16);
}

function resolveRefs(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return value;
  const ref = value as { env?: unknown; file?: unknown };
  if (typeof ref.env === 'string') return { env: ref.env, value: digest(asRead(env[ref.env] ?? '')) };
  if (typeof ref.file === 'string') {
    let content = '';
    try {
      content = readRegularFileSync(ref.file);
    } catch {
      content = '(unreadable)';
    }
    return { file: ref.file, value: digest(asRead(content)) };
  }
  return value;
}

// The value as the backend will use it (trimmed), so a secret that failed with a line break at its end
// before that was trimmed counts as changed, and its transfers are tried again.
function asRead(raw: string): string {
  try {
    return secretText(raw, 'secret');
  } catch {
    return raw;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
