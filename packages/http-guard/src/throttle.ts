/** The defaults of createLoginThrottle's options, each written here only. */
export const THROTTLE_DEFAULTS = {
  freeAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60 * 1000,
  maxClients: 10_000,
} as const;

export interface LoginThrottleOptions {
  /** Failed attempts allowed before waiting starts. @default THROTTLE_DEFAULTS.freeAttempts */
  freeAttempts?: number;
  /** The first wait; it doubles with each further failure. @default THROTTLE_DEFAULTS.baseDelayMs */
  baseDelayMs?: number;
  /** The longest wait. @default THROTTLE_DEFAULTS.maxDelayMs (15 minutes) */
  maxDelayMs?: number;
  /** Clients remembered at most (the oldest are forgotten first). @default THROTTLE_DEFAULTS.maxClients */
  maxClients?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  blockedUntil: number;
  lastSeen: number;
}

/**
 * Failed logins per client (its address): the first few are free, then each failure makes the client
 * wait twice as long (1 s, 2 s, 4 s … up to 15 min). While it waits every attempt is refused, even a right
 * one, and the caller answers 429 with Retry-After. A success forgets the client.
 */
export function createLoginThrottle(options: LoginThrottleOptions = {}) {
  const free = options.freeAttempts ?? THROTTLE_DEFAULTS.freeAttempts;
  const base = options.baseDelayMs ?? THROTTLE_DEFAULTS.baseDelayMs;
  const max = options.maxDelayMs ?? THROTTLE_DEFAULTS.maxDelayMs;
  const maxClients = options.maxClients ?? THROTTLE_DEFAULTS.maxClients;
  const now = options.now ?? Date.now;
  const clients = new Map<string, Entry>();
  return {
    /** Seconds the client must still wait (0 = it may try now). */
    retryAfterSec(client: string): number {
      const entry = clients.get(client);
      const wait = entry ? entry.blockedUntil - now() : 0;
      return wait > 0 ? Math.ceil(wait / 1000) : 0;
    },
    failed(client: string): void {
      const entry = clients.get(client) ?? { failures: 0, blockedUntil: 0, lastSeen: 0 };
      entry.failures += 1;
      entry.lastSeen = now();
      if (entry.failures >= free)
        entry.blockedUntil = now() + Math.min(max, base * 2 ** (entry.failures - free));
      clients.delete(client);
      clients.set(client, entry);
      if (clients.size > maxClients) clients.delete(clients.keys().next().value as string);
    },
    succeeded(client: string): void {
      clients.delete(client);
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
