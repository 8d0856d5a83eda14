import { execa } from 'execa';
import type { TestContext } from 'vitest';
import { IMK } from './helpers.ts';

// A worker's consumer id is its host's name (and pid). Setting a host name needs a UTS namespace of its own:
// `unshare -u`, which root may make (the CI and the Docker image run as root). Whether such a test runs is
// decided by who runs it, not by a probe of `unshare`: a probe that failed for any reason skipped the test
// without a word. As root a refused `unshare` fails the test with what it said; as another user the test is
// skipped and says why.
const AS_ROOT = process.getuid?.() === 0;

/** Skips the test, saying why, unless it runs as root (who may set a host name: imkOnHost). */
export function skipUnlessHostNameSettable(ctx: TestContext): void {
  if (!AS_ROOT) ctx.skip('setting a host name needs root (unshare -u): run the suite as root, as CI does');
}

/** `imk <args>` on a host named `host` (in a UTS namespace of its own), logging warnings and errors only. */
export function imkOnHost(host: string, args: readonly string[]) {
  // The host name and the arguments reach the shell as its parameters ($0, $@), never in its script.
  return execa('unshare', ['-u', 'sh', '-c', 'hostname "$0" && exec "$@"', host, IMK, ...args], {
    reject: false,
    env: { IMK_LOG_LEVEL: 'warn' },
  });
}
