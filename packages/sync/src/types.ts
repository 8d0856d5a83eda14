import type { Logger } from '@imk/log';
import type { Limiter } from './util/limiter.ts';

/** How a delivered copy was checked against the manifest. */
export type VerifiedBy = 'read-back' | 'remote-hash' | 'server-checksum' | 'size';

/** What a backend checks after a copy. `sha256` also compares the content hash; `size` only the byte count. */
export type VerifyMode = 'sha256' | 'size';

/** One file to deliver. */
export interface PutRequest {
  /** The artifact on this host. */
  localPath: string;
  /** Where it goes, as the route resolved it (`/`-separated; a key for object stores). */
  remotePath: string;
  /** Size and SHA-256 from the manifest: what the delivered copy must have. */
  bytes: number;
  sha256: string;
  /**
   * When the manifest recorded `sha256` (its mtime, ms). A local file whose ctime is not later has not
   * been written, renamed, linked or had its mode changed since (the kernel sets ctime on each), so a
   * backend that would read the whole file only to check it against the manifest may skip that read.
   */
  recordedMs?: number;
  /**
   * What the destination may already hold. `keep` (the default): a file there with other content is never
   * overwritten (put throws `CONFLICT`), one with the same content is left as it is (`alreadyThere`).
   * `replace`: the file there is overwritten (conflict: replace, chosen by the user).
   */
  existing?: 'keep' | 'replace';
  /**
   * The part of remotePath the configuration fixes (the route's remote root). A backend that writes to a
   * filesystem refuses to write through a symlink below it that leads outside it.
   */
  remoteRoot?: string;
  /** The route that sent it (its name), for messages. */
  route?: string;
  signal?: AbortSignal;
}

export interface PutResult {
  bytes: number;
  verifiedBy: VerifiedBy;
  /** True when the destination already held this content: nothing was written. */
  alreadyThere?: boolean;
}

/** A file as a destination reports it. */
export interface RemoteEntry {
  bytes: number;
}

/**
 * One kind of destination: a local or mounted folder, rsync, SFTP, S3, rclone. Every backend passes the
 * same conformance suite (packages/sync/test/conformance.ts).
 */
export interface SyncBackend {
  /** The backend type, e.g. `sftp`. */
  readonly type: string;
  /** The name the user gave it in config (`backends.<name>`). */
  readonly name: string;
  /**
   * How many puts the backend carries in one run of its tool (rsync), when more than one. The engine then
   * gives it that many times its concurrency at once, and its puts take no slot of the overall limit each:
   * the backend takes one per run from `BackendContext.slots`.
   */
  readonly batch?: number;
  /**
   * A batching backend is told how many puts are on their way to it: +1 when a transfer starts its checks
   * at the destination, −1 when it puts (or ends without putting). Its runs wait for those rather than guess
   * from a quiet moment, so that the files of one pass ride as few runs as a run carries.
   */
  coming?(delta: number): void;
  /**
   * Copies a file so that a partial copy never sits under the final name (a temporary name renamed into
   * place, or an object store's atomic PUT), then checks size and SHA-256. Unless `existing: 'replace'`, it
   * never overwrites a file with other content: it checks at the destination itself (atomically where the
   * protocol allows: a hard link or an SFTP rename that refuses an existing name, a conditional PUT).
   * Throws sync errors (see errors.ts).
   */
  put(request: PutRequest): Promise<PutResult>;
  /** Size of a remote file, or undefined when there is none. */
  stat(remotePath: string): Promise<RemoteEntry | undefined>;
  /** SHA-256 (lowercase hex) of a remote file, from a server-side hash or by reading it back. */
  hash(remotePath: string): Promise<string>;
  /** Names (not paths) of the entries in a remote folder; empty when the folder does not exist. */
  list(remoteDir: string): Promise<string[]>;
  /** Deletes a remote file; no error when it is already gone. */
  remove(remotePath: string): Promise<void>;
  /**
   * Where a remote path is on this host, when the backend writes to this host's file system (`local`, `rsync`
   * without a host, `rclone` to a remote rclone says is local); undefined for another machine (absent: never
   * this host). What the backend itself checks against the mount tables before writing (an fstab share that
   * is not mounted), so `imk doctor` asks the same.
   */
  pathOnThisHost?(remotePath: string, signal?: AbortSignal): Promise<string | undefined>;
  /** Ends connections and helper processes. The backend may be used again afterwards (it reconnects). */
  close(): Promise<void>;
}

/** What every backend factory receives besides its own options. */
export interface BackendContext {
  /** The name under `backends:` in config. */
  name: string;
  logger: Logger;
  /** Environment for secrets given as `{ env: NAME }`. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * How many transfers may run at once on this backend; subprocess backends divide their bandwidth
   * limit by it so that the limit holds for the backend as a whole. @default the backend's own (rsync: RSYNC_RUNS)
   */
  concurrency?: number;
  /** The engine's limit on transfers at once over all backends; a batching backend takes one per run. */
  slots?: Limiter;
  /**
   * Who writes this backend's temporary names (util/remote-path.ts tempPathFor): one token per engine's
   * receipts database, so two nas-syncs (two state folders) delivering to one destination never share one.
   */
  tempOwner?: string;
  /**
   * How long a backend writing to this host's file system (a mounted share) may make no progress before its
   * destination counts as unreachable for the pass. @default SYNC_DEFAULTS.shareTimeoutSec
   */
  shareTimeoutMs?: number;
}

export type BackendFactory<O> = (options: O, context: BackendContext) => SyncBackend;
