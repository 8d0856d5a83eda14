import { isIP } from 'node:net';
import { ImkError } from '@imk/errors';
import './errors.ts';

/** True for names and addresses that reach only this machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const bare = unbracket(host).toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

const unbracket = (host: string): string => host.replace(/^\[|\]$/g, '');

/** A Host header (or an Origin's authority) split into a lower-case name and a port. */
export interface HostPort {
  name: string;
  port: number | undefined;
}

/** Parses `name`, `name:port`, `[v6]`, `[v6]:port`; undefined when it is not a plain authority. */
export function parseAuthority(text: string): HostPort | undefined {
  // Userinfo, paths, spaces, control characters: never part of a Host header a browser sends.
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  if (text === '' || /[\s@/\\?#\u0000-\u001f\u007f]/.test(text)) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(text);
  if (!match?.[1]) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65535) return undefined;
  return { name: unbracket(match[1]).toLowerCase().replace(/\.$/, ''), port };
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) is 127.0.0.1. */
export function normalizeAddress(address: string): string {
  const bare = unbracket(address).toLowerCase();
  return bare.startsWith('::ffff:') && isIP(bare.slice(7)) === 4 ? bare.slice(7) : bare;
}

export interface HostPolicyOptions {
  /** The address the server was told to listen on (`127.0.0.1`, `0.0.0.0`, `nas.local`…). */
  bindHost: string;
  /**
   * Further names the server answers to (a reverse proxy's `imk.example.com`, a LAN name). `name` allows
   * any port, `name:port` only that one.
   */
  allowedHosts?: readonly string[];
}

/**
 * Which Host headers the server answers to, against DNS rebinding (a hostile page whose name is made to
 * point at 127.0.0.1): the bound address, `localhost`, `127.0.0.1` and `[::1]`, the address the connection
 * arrived at (an IP literal cannot be rebound), each on the port the server listens on; and the configured
 * list.
 */
export function createHostPolicy(options: HostPolicyOptions) {
  const allowed = (options.allowedHosts ?? []).map((entry, i) => {
    const parsed = parseAuthority(entry.trim());
    if (!parsed)
      throw new ImkError(
        'ALLOWED_HOST_INVALID',
        `allowedHosts[${i}]: "${entry}" is not a host name or host:port; write the name the browser's address bar shows, alone (imk.example.com) or with its port (imk.example.com:8443), without http://, a path or a user`,
        { details: { field: `allowedHosts[${i}]` } },
      );
    return parsed;
  });
  const bind = normalizeAddress(options.bindHost);
  const wildcard = bind === '0.0.0.0' || bind === '::' || bind === '';
  return {
    /** `hostHeader` as sent; `localAddress`/`localPort`: the socket the request arrived on. */
    allows(hostHeader: string | undefined, localAddress: string | undefined, localPort: number): boolean {
      const host = hostHeader === undefined ? undefined : parseAuthority(hostHeader);
      if (!host) return false;
      if (allowed.some((a) => a.name === host.name && (a.port === undefined || a.port === (host.port ?? 80))))
        return true;
      if ((host.port ?? 80) !== localPort) return false;
      const name = normalizeAddress(host.name);
      if (name === 'localhost' || name === '127.0.0.1' || name === '::1') return true;
      if (!wildcard && name === bind) return true;
      return localAddress !== undefined && isIP(name) !== 0 && name === normalizeAddress(localAddress);
    },
    /** True when `name` (no port) is one of the configured names: an Origin from a reverse proxy's name. */
    isConfigured(authority: HostPort): boolean {
      return allowed.some(
        (a) => a.name === authority.name && (a.port === undefined || a.port === authority.port),
      );
    },
  };
}
export type HostPolicy = ReturnType<typeof createHostPolicy>;
