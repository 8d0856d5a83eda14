import { createHmac } from 'node:crypto';
import { appendFileSync, closeSync, constants, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeKind, readRegularFileSync } from '@imk/fs-safe';

/** How strictly a server's host key is checked, as OpenSSH's StrictHostKeyChecking. */
export type HostKeyCheck = 'strict' | 'accept-new' | 'off';

/** The name OpenSSH writes in known_hosts: `host`, or `[host]:port` for other ports. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

interface Entry {
  hosts: string;
  keyType: string;
  key: Buffer;
}

function parse(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    // A marker (@cert-authority, @revoked) shifts the fields; those entries are not plain host keys.
    if (fields[0]?.startsWith('@')) continue;
    const [hosts, keyType, key] = fields;
    if (hosts && keyType && key) entries.push({ hosts, keyType, key: Buffer.from(key, 'base64') });
  }
  return entries;
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return patterns.split(',').includes(name);
}

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown';

/** Compares a server's raw host key blob with the known_hosts file. */
export function checkHostKey(file: string, host: string, port: number, key: Buffer): HostKeyVerdict {
  let text = '';
  try {
    // A FIFO named here would stop the whole process (a synchronous read): regular files only.
    text = readRegularFileSync(file);
  } catch {
    return 'unknown';
  }
  const name = knownHostsName(host, port);
  const candidates = parse(text).filter((entry) => hostMatches(entry.hosts, name));
  if (candidates.length === 0) return 'unknown';
  return candidates.some((entry) => entry.key.equals(key)) ? 'match' : 'mismatch';
}

/** Appends a newly seen host key (accept-new). The key type is read from the blob itself. */
export function rememberHostKey(file: string, host: string, port: number, key: Buffer): void {
  const typeLength = key.readUInt32BE(0);
  const keyType = key.subarray(4, 4 + typeLength).toString('latin1');
  mkdirSync(dirname(file), { recursive: true });
  // Opened without blocking and checked with fstat: a FIFO named as known_hosts would stop the process.
  const before = statSync(file, { throwIfNoEntry: false });
  if (before !== undefined && !before.isFile())
    throw new Error(`${file} is ${describeKind(before)}, not a regular file`);
  const fd = openSync(
    file,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK,
  );
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new Error(`${file} is ${describeKind(info)}, not a regular file`);
    appendFileSync(fd, `${knownHostsName(host, port)} ${keyType} ${key.toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
}
