import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { readRegularFileSync } from '@imk/fs-safe';
import { secretText } from '@imk/config';
import type { BackendOptions } from './backends/index.ts';
import { SshConnectionSchema } from './util/ssh-options.ts';

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

/**
 * Where a backend puts files, and nothing else about it: the options that name the server, the bucket and
 * the folder (not how it is reached, checked or throttled), hashed. A delivered receipt records it, so a
 * backend whose root, host, bucket or remote changes (a wrong root fixed, a new NAS under the same name)
 * gets its copies sent to the new place by the next pass, where a receipt used to say "delivered" of a
 * place no longer written to. Same content found there is counted as already delivered, not copied.
 */
export function backendLocation(options: BackendOptions): string {
  const folder = (path: string | undefined) =>
    path === undefined || path === '' ? '' : posix.normalize(path).replace(/(.)\/+$/, '$1');
  const where = ((): unknown[] => {
    switch (options.type) {
      case 'local':
        return [folder(options.root ?? '/')];
      case 'rsync':
      case 'sftp':
        return [
          options.host?.toLowerCase() ?? '',
          SshConnectionSchema.shape.port.parse(options.port),
          options.username ?? '',
          folder(options.root),
        ];
      case 's3':
        return [options.endpoint ?? '', options.bucket, folder(options.prefix)];
      case 'rclone':
        return [options.configFile ?? '', options.remote];
    }
  })();
  return digest(JSON.stringify([options.type, ...where]));
}
