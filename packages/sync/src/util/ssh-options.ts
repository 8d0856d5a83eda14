import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { timerMax } from '@imk/config';
import { SecretPathSchema } from './secrets.ts';
import type { HostKeyCheck } from './known-hosts.ts';

/** Connection settings shared by the SSH-based backends (rsync over ssh, SFTP). */
export const SshConnectionSchema = z.object({
  host: z.string().min(1).describe('Server name or address.'),
  port: z.number().int().min(1).max(65535).default(22).describe("The server's SSH port."),
  username: z.string().min(1).optional().describe('Login name. @default the current user'),
  privateKeyFile: SecretPathSchema.optional().describe(
    'Private key file: a path, or { env } / { file } holding the path. Never logged.',
  ),
  knownHostsFile: z
    .string()
    .optional()
    .describe('known_hosts file to check the server key. @default ~/.ssh/known_hosts'),
  hostKeyCheck: z
    .enum(['strict', 'accept-new', 'off'])
    .default('strict')
    .describe(
      'strict: the key must be in known_hosts; accept-new: remember unknown hosts; off: do not check.',
    ),
  connectTimeoutSec: z
    .number()
    .positive()
    .max(...timerMax('seconds'))
    .default(10)
    .describe('Seconds allowed to set up the SSH connection.'),
});
export type SshConnection = z.infer<typeof SshConnectionSchema>;

export function defaultKnownHosts(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/**
 * A key or known_hosts file as OpenSSH reads it: a leading `~/` is the home folder (ssh expands it in
 * IdentityFile and UserKnownHostsFile, so the rsync backend read `knownHostsFile: ~/.ssh/known_hosts`, as
 * the docs write its default). The SFTP backend reads the files itself, and took it for a folder `~` under
 * the working folder: "the server's host key is not in known_hosts" for a server that is in it.
 */
export function sshHomePath(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

const STRICT_VALUE: Record<HostKeyCheck, string> = { strict: 'yes', 'accept-new': 'accept-new', off: 'no' };

export interface OpenSshArgsInput {
  port: number;
  keyPath: string | undefined;
  knownHostsFile: string | undefined;
  hostKeyCheck: HostKeyCheck;
  connectTimeoutSec: number;
}

/** Arguments for `ssh` (before the destination): never prompts, fails fast, checks the host key. */
export function openSshArgs(input: OpenSshArgsInput): string[] {
  const args = [
    '-p',
    String(input.port),
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${Math.ceil(input.connectTimeoutSec)}`,
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=3',
    '-o',
    `StrictHostKeyChecking=${STRICT_VALUE[input.hostKeyCheck]}`,
  ];
  if (input.knownHostsFile) args.push('-o', `UserKnownHostsFile=${input.knownHostsFile}`);
  if (input.hostKeyCheck === 'off') args.push('-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR');
  if (input.keyPath) args.push('-i', input.keyPath, '-o', 'IdentitiesOnly=yes');
  return args;
}

/** Quotes one word for a POSIX shell: the remote side of `ssh host command` is always a shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Quotes one word for rsync's `-e` string, which rsync splits itself on spaces honouring single and
 * double quotes (but not backslashes).
 */
export function rsyncEQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  if (!word.includes("'")) return `'${word}'`;
  if (!word.includes('"')) return `"${word}"`;
  throw new Error('a path used in the ssh command may not contain both single and double quotes');
}

/** Classifies OpenSSH's own failure (exit 255) from its stderr. */
export function sshFailureKind(stderr: string): 'auth' | 'host-key' | 'unreachable' | 'other' {
  if (
    /Permission denied|Too many authentication failures|no mutual signature|Load key .*: (invalid|bad|incorrect)|incorrect passphrase/i.test(
      stderr,
    )
  )
    return 'auth';
  if (
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(
      stderr,
    )
  )
    return 'host-key';
  if (
    /Connection refused|Connection timed out|timed out|No route to host|Network is unreachable|Could not resolve hostname|Connection closed|Connection reset|Broken pipe|kex_exchange_identification|ssh_exchange_identification/i.test(
      stderr,
    )
  )
    return 'unreachable';
  return 'other';
}
