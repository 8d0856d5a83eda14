import { execa } from 'execa';
import { IMK } from './helpers.ts';

// A worker's consumer id is its host's name (and pid). Setting a host name needs a UTS namespace of its own,
// which any user may make inside a user namespace of their own (`unshare -Ur -u`: the user is root there,
// mapped to themselves), so these tests run for everyone, root or not. A kernel that refuses user namespaces
// fails the test with what `unshare` said, rather than skipping it without a word.

/** `imk <args>` on a host named `host` (in a UTS namespace of its own), logging warnings and errors only. */
export function imkOnHost(host: string, args: readonly string[]) {
  // The host name and the arguments reach the shell as its parameters ($0, $@), never in its script.
  return execa('unshare', ['-Ur', '-u', 'sh', '-c', 'hostname "$0" && exec "$@"', host, IMK, ...args], {
    reject: false,
    env: { IMK_LOG_LEVEL: 'warn' },
  });
}
