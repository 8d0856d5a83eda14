import type { SshdServer } from './sshd.ts';

/** The backend settings that reach a test sshd: its address, as root, with the key and host key it made. */
export interface SshdSettings<T extends 'sftp' | 'rsync'> {
  type: T;
  host: string;
  port: number;
  username: string;
  privateKeyFile: string;
  knownHostsFile: string;
  root?: string;
}

/**
 * An sftp or rsync backend's settings for `sshd` (root: the server folder route paths are relative to):
 * spelt here once, so that a test adds only what it is about (`{ ...sshdSettings(sshd, 'rsync'), sshBinary }`).
 */
export function sshdSettings<T extends 'sftp' | 'rsync'>(
  sshd: SshdServer,
  type: T,
  root?: string,
): SshdSettings<T> {
  return {
    type,
    host: sshd.host,
    port: sshd.port,
    username: 'root',
    privateKeyFile: sshd.clientKey,
    knownHostsFile: sshd.knownHosts,
    ...(root === undefined ? {} : { root }),
  };
}
