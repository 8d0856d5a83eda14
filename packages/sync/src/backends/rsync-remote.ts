import { posix } from 'node:path';
import { notAFolderError, syncError } from '../errors.ts';
import type { PutRequest, RemoteEntry } from '../types.ts';
import type { ToolResult } from '../util/run-tool.ts';
import { notRegularError } from './common.ts';
import { linkOutError, NO_LINK_OUT_SCRIPT } from './local-links.ts';
import type { Waiting } from './rsync-runs.ts';

/** What the rsync backend's commands on the server need of it. */
export interface RsyncRemoteContext {
  /** Runs a command on the server, in the shell kept open for the pass. */
  ssh: (words: string[], signal?: AbortSignal) => Promise<ToolResult>;
  /** The same, its stdout, or the failure as the backend says it. */
  sshChecked: (words: string[], action: string, signal?: AbortSignal) => Promise<string>;
  failure: (result: ToolResult, action: string) => Error;
  /** The backend, for messages. */
  where: string;
  backend: string;
  /** The route's root on the destination, which no symlink below it may lead out of. */
  rootOf: (request: PutRequest) => string;
}

/** The rsync backend's looks at the server over ssh (stat, hash, the link check before a batch's copy). */
export function createRsyncRemote({ ssh, sshChecked, failure, where, backend, rootOf }: RsyncRemoteContext) {
  async function stat(path: string, signal?: AbortSignal): Promise<RemoteEntry | undefined> {
    const result = await ssh(
      ['sh', '-c', 'if [ -f "$1" ]; then wc -c < "$1"; else echo none; fi', 'stat', path],
      signal,
    );
    if (result.exitCode !== 0) throw failure(result, `stat ${path}`);
    const text = result.stdout.trim();
    return text === 'none' ? undefined : { bytes: Number(text) };
  }

  async function hash(path: string, signal?: AbortSignal): Promise<string> {
    const out = await sshChecked(
      [
        'sh',
        '-c',
        // Only a regular file is read: a FIFO's read never ends.
        '[ -f "$1" ] || { echo NOTFILE; exit 0; }; openssl dgst -sha256 -r < "$1" 2>/dev/null || sha256sum < "$1" 2>/dev/null || shasum -a 256 < "$1"',
        'hash',
        path,
      ],
      `sha256 of ${path}`,
      signal,
    );
    if (out.trim() === 'NOTFILE') throw notRegularError(`${where}:${path}`);
    const hash = /^[0-9a-f]{64}/.exec(out.trim());
    if (!hash) throw syncError('TRANSFER_FAILED', `${where}: the server printed no sha256 for ${path}`);
    return hash[0];
  }

  /**
   * Refuses targets below the route's root reached through a symlink that leads outside it (a link on the
   * NAS must not make a sync write elsewhere); rsync and ln follow such links. Over ssh, the targets of a
   * whole batch are checked by one command on the server, before its copy. Returns the entries that pass;
   * the others are rejected with DESTINATION_UNSAFE naming the link.
   */
  async function keepInsideRoot(batch: Waiting[], signal?: AbortSignal): Promise<Waiting[]> {
    const checks = batch.map((entry) => {
      const root = rootOf(entry.item.request);
      const rel = posix.relative(root, entry.item.target);
      return { entry, root, rel, skip: rel === '' || rel.startsWith('..') };
    });
    const asked = checks.filter((check) => !check.skip);
    if (asked.length === 0) return batch;
    const out = await sshChecked(
      [
        'sh',
        '-c',
        'script=$1; shift; while [ $# -ge 2 ]; do sh -c "$script" links "$1" "$2"; shift 2; done',
        'links',
        NO_LINK_OUT_SCRIPT,
        ...asked.flatMap((check) => [check.root, check.rel]),
      ],
      `look for links below ${asked[0]?.root ?? ''}`,
      signal,
    );
    // Per target: "OK"; or "FILE" and the file in the way (two lines); or "LINK", the link and where it leads (three).
    const lines = out.split('\n');
    const passed = new Set<Waiting>(checks.filter((check) => check.skip).map((check) => check.entry));
    let at = 0;
    for (const check of asked) {
      const verdict = lines[at];
      if (verdict === 'FILE') {
        const { request, target } = check.entry.item;
        check.entry.reject(notAFolderError(lines[at + 1] ?? '', target, { backend, route: request.route }));
        at += 2;
      } else if (verdict === 'LINK') {
        check.entry.reject(linkOutError(lines[at + 1] ?? '', lines[at + 2] || undefined, check.root));
        at += 3;
      } else if (verdict === 'OK') {
        passed.add(check.entry);
        at += 1;
      } else
        throw syncError(
          'TRANSFER_FAILED',
          `${where}: the link check printed ${JSON.stringify(out.slice(0, 200))}`,
        );
    }
    return batch.filter((entry) => passed.has(entry));
  }

  return { stat, hash, keepInsideRoot };
}
