import { extname, join, posix } from 'node:path';
import { MAX_NAME_BYTES, digestHandle, lstatAnySpelling, openUntrusted, resolveInside } from '@imk/fs-safe';
import { errorMessage } from '@imk/errors';
import type { JobManifest, SyncArtifact } from './manifests.ts';
import type { PathHolder } from './conflicts.ts';
import type { Receipt, ReceiptStore, ReceiptWrite } from './receipts.ts';
import { receiptKey } from './receipts.ts';
import {
  compileTemplate,
  describeMatch,
  renderTemplate,
  routeMatches,
  unroutedReason,
  type CompiledTemplate,
  type Route,
  type TemplateValues,
} from './routes.ts';

/** A route ready to use: its template checked and split at the remote root (none for a skip route). */
export interface CompiledRoute {
  name: string;
  route: Route;
  template: CompiledTemplate | undefined;
}

/** Compiles routes; throws nothing: problems come back with the route's index for the config error. */
export function compileRoutes(
  routes: readonly Route[],
  remoteRoots: Readonly<Record<string, string | undefined>>,
): { routes: CompiledRoute[]; problems: { index: number; message: string }[] } {
  const compiled: CompiledRoute[] = [];
  const problems: { index: number; message: string }[] = [];
  routes.forEach((route, index) => {
    const name = route.name ?? `routes.${index}`;
    if (route.to === undefined) {
      // Only a skip route has no `to` (the schema says so); one built in code without either is a mistake.
      if (route.skip) compiled.push({ name, route, template: undefined });
      else problems.push({ index, message: 'a route needs "to", or skip: true' });
      return;
    }
    const template = compileTemplate(route.to, remoteRoots);
    if (typeof template === 'string') problems.push({ index, message: template });
    else compiled.push({ name, route, template });
  });
  return { routes: compiled, problems };
}

/** Where a transfer stands according to the receipts. */
export type TransferState = 'delivered' | 'due' | 'waiting' | 'failed';

export interface PlannedTransfer {
  jobId: string;
  artifact: SyncArtifact;
  /** The artifact's file as spelt on disk (see routeJob): what is opened and sent. */
  localPath: string;
  /** Its job folder, `outputs/<job_id>/`: the file must be inside it. */
  jobDir: string;
  routeName: string;
  backend: string;
  remotePath: string;
  /** The route's remote root (what the config fixes): the backend never writes through a link out of it. */
  remoteRoot: string;
  /** `<backend>:<remotePath>`: the receipt's destination key. */
  destination: string;
  /**
   * Where the earlier version's sync program put this file, when that differs from remotePath: a legacy
   * manifest's artifact under a folder route keeps its own name there as written (`Title: Live?.m4a`), where
   * ours makes it a safe name (`Title_ Live_.m4a`). The same content found there is taken as delivered.
   */
  earlierPath?: string;
  sha256: string;
  bytes: number;
  /** When the sha256 was recorded: the manifest's mtime (v1 manifests; legacy ones are hashed here). */
  recordedMs: number | undefined;
  state: TransferState;
  receipt: Receipt | undefined;
  /** Set when the path was held by another artifact's copy: how the conflict policy settled it. */
  conflict?: { holder: PathHolder; path: string; resolution: 'renamed' | 'failed' | 'replaced' };
}

/** The receipt a planned transfer writes (delivered, failed, or found there), with its backend's fingerprint. */
export function receiptWriteOf(
  transfer: PlannedTransfer,
  backendFingerprint: string,
  location?: string,
): ReceiptWrite {
  return {
    ...(location !== undefined && { location }),
    jobId: transfer.jobId,
    artifactPath: transfer.artifact.path,
    destination: transfer.destination,
    backend: transfer.backend,
    remotePath: transfer.remotePath,
    sha256: transfer.sha256,
    bytes: transfer.bytes,
    backendFingerprint,
  };
}

export interface UnroutedArtifact {
  jobId: string;
  artifact: SyncArtifact;
  /** Why (routes.ts unroutedReason): "no route matches this artifact", naming a route that nearly does. */
  reason: string;
}

export interface RoutingProblem {
  jobId: string;
  artifact: SyncArtifact;
  routeName: string;
  message: string;
}

export function templateValues(manifest: JobManifest, artifact: SyncArtifact): TemplateValues {
  const filename = posix.basename(artifact.path);
  const ext = extname(filename);
  return {
    artist: manifest.artist || 'Unknown Artist',
    album: manifest.album || 'Unknown Album',
    title: manifest.title || manifest.jobId,
    job_id: manifest.jobId,
    ext: ext.replace(/^\./, ''),
    kind: artifact.kind,
    variant: artifact.variant || 'unknown',
    label: artifact.label || artifact.variant || 'unknown',
    source_type: manifest.sourceType || 'unknown',
    filename,
    basename: ext ? filename.slice(0, -ext.length) : filename,
    container: artifact.container || ext.replace(/^\./, ''),
    codec: artifact.codec || 'unknown',
  };
}

/**
 * The sha256 and size a transfer must deliver: from the manifest (v1 always has them), else computed from
 * the file once and cached in the receipts database by size and mtime (legacy manifests). A file that has
 * to be read is first checked to be a regular file inside its job folder (`resolveInside`, then opened the
 * untrusted way): a FIFO or a device named by a legacy manifest would otherwise block the hash forever.
 */
export async function artifactIdentity(
  jobDir: string,
  artifact: SyncArtifact,
  receipts: ReceiptStore | undefined,
): Promise<{ sha256: string; bytes: number }> {
  if (artifact.sha256 !== undefined && artifact.bytes !== undefined)
    return { sha256: artifact.sha256, bytes: artifact.bytes };
  const localPath = join(jobDir, artifact.path);
  const real = await resolveInside(jobDir, artifact.path, { rootName: 'its job folder' });
  // Opened once: stat and hash read the same file, so nothing can be swapped in between.
  const { handle } = await openUntrusted(real, { name: localPath, within: jobDir });
  try {
    const info = await handle.stat();
    const bytes = artifact.bytes ?? info.size;
    if (artifact.sha256 !== undefined) return { sha256: artifact.sha256, bytes };
    const cached = receipts?.localHash(localPath, info.size, info.mtimeMs);
    if (cached) return { sha256: cached, bytes };
    const { sha256 } = await digestHandle(handle, ['sha256']);
    receipts?.saveLocalHash(localPath, info.size, info.mtimeMs, sha256);
    return { sha256, bytes };
  } finally {
    await handle.close();
  }
}

export interface RouteJobInput {
  manifest: JobManifest;
  routes: readonly CompiledRoute[];
  receipts: ReceiptStore | undefined;
  /** The longest name a backend stores (its maxNameBytes). @default MAX_NAME_BYTES */
  nameBytesOf?: (backend: string) => number;
}

/** An artifact a `skip: true` route took: sent nowhere, on purpose. */
export interface SkippedArtifact {
  jobId: string;
  artifact: SyncArtifact;
  routeName: string;
  /** The skip route's match, as written (`kind: audio, variant: no_drums`): what status shows beside its name. */
  match: string;
}

export interface RoutedJob {
  transfers: Omit<PlannedTransfer, 'state' | 'receipt'>[];
  unrouted: UnroutedArtifact[];
  skipped: SkippedArtifact[];
  problems: RoutingProblem[];
}

/**
 * The routes an artifact takes: the first that matches, as in the earlier project, and after it the next
 * matching ones for as long as the route taken says `continue: true` (a second copy). A `skip: true` route
 * ends the list like any route without `continue`: no later route takes what it matched.
 */
export function routesFor(
  routes: readonly CompiledRoute[],
  facts: { kind: string; variant?: string; source_type?: string },
): CompiledRoute[] {
  const taken: CompiledRoute[] = [];
  for (const compiled of routes) {
    if (!routeMatches(compiled.route.match, facts)) continue;
    taken.push(compiled);
    if (!compiled.route.continue) break;
  }
  return taken;
}

/**
 * Every (artifact, route) pair of a job, with rendered destinations. An artifact listed twice is sent once,
 * and so is one that two routes (`continue: true`) send to the same path of the same backend: it is one
 * copy with one receipt, not two transfers that each numbered a copy of their own beside a file found there.
 */
export async function routeJob(input: RouteJobInput): Promise<RoutedJob> {
  const { manifest } = input;
  const routed: RoutedJob = { transfers: [], unrouted: [], skipped: [], problems: [] };
  const seen = new Set<string>();
  for (const artifact of manifest.artifacts) {
    if (seen.has(artifact.path)) continue;
    seen.add(artifact.path);
    const facts = { kind: artifact.kind, variant: artifact.variant, source_type: manifest.sourceType };
    const taken = routesFor(input.routes, facts);
    if (taken.length === 0) {
      routed.unrouted.push({ jobId: manifest.jobId, artifact, reason: unroutedReason(input.routes, facts) });
      continue;
    }
    const matching = taken.filter((compiled) => compiled.template !== undefined);
    const skip = taken.find((compiled) => compiled.template === undefined);
    if (skip)
      routed.skipped.push({
        jobId: manifest.jobId,
        artifact,
        routeName: skip.name,
        match: describeMatch(skip.route.match),
      });
    if (matching.length === 0) continue;
    // The file as spelt on disk: a job folder copied through macOS (or an SMB share that normalises) spells
    // "Café" in NFD where the manifest says NFC. Reading it found it under either spelling, but the transfer
    // opened the manifest's spelling and failed with ENOENT on every pass; now both use the one found.
    const spelt = await lstatAnySpelling(manifest.dir, artifact.path).catch(() => undefined);
    const localPath = join(manifest.dir, spelt?.path ?? artifact.path);
    let identity: { sha256: string; bytes: number };
    try {
      identity = await artifactIdentity(manifest.dir, artifact, input.receipts);
    } catch (error) {
      for (const compiled of matching)
        routed.problems.push({
          jobId: manifest.jobId,
          artifact,
          routeName: compiled.name,
          message: `artifact ${localPath} cannot be read: ${errorMessage(error)}`,
        });
      continue;
    }
    const values = templateValues(manifest, artifact);
    const destinations = new Set<string>();
    for (const compiled of matching) {
      if (!compiled.template) continue;
      try {
        const nameBytes = input.nameBytesOf?.(compiled.route.backend) ?? MAX_NAME_BYTES;
        const remotePath = renderTemplate(compiled.template, values, nameBytes);
        const destination = `${compiled.route.backend}:${remotePath}`;
        if (destinations.has(destination)) continue;
        destinations.add(destination);
        const earlierPath = manifest.legacy
          ? earlierProgramPath(compiled.template, remotePath, values.filename, nameBytes)
          : undefined;
        routed.transfers.push({
          jobId: manifest.jobId,
          artifact,
          localPath,
          jobDir: manifest.dir,
          routeName: compiled.name,
          backend: compiled.route.backend,
          remotePath,
          remoteRoot: compiled.template.root,
          destination,
          ...(earlierPath !== undefined && { earlierPath }),
          ...identity,
          recordedMs: manifest.legacy ? undefined : manifest.writtenMs,
        });
      } catch (error) {
        routed.problems.push({
          jobId: manifest.jobId,
          artifact,
          routeName: compiled.name,
          message: errorMessage(error),
        });
      }
    }
  }
  return routed;
}

/**
 * The path the earlier version's sync program gave an artifact under a folder route (`to` a folder, its
 * LocalBackend's `remote_base / local_path.name`, rsync's and scp's `<to>/`): the folder the route renders,
 * and the artifact's file name as the manifest writes it. Its sanitize_filename kept every character but
 * `/` and NUL on POSIX, so its outputs hold names ours makes safe for SMB (`:`, `?`, `"`, `*`, …). Undefined
 * when the route names the file itself, or the name is the same, or not one a folder can hold as it is.
 */
function earlierProgramPath(
  template: CompiledTemplate,
  remotePath: string,
  filename: string,
  maxNameBytes: number,
): string | undefined {
  if (posix.basename(template.relative) !== '{filename}') return undefined;
  if (filename === posix.basename(remotePath)) return undefined;
  if (filename === '' || filename === '.' || filename === '..' || filename.includes('\0')) return undefined;
  if (Buffer.byteLength(filename) > maxNameBytes) return undefined;
  return posix.join(posix.dirname(remotePath), filename);
}

/** Decides, from the receipt, whether a transfer is done, due now, waiting for its backoff, or failed for good. */
export function transferState(
  transfer: Omit<PlannedTransfer, 'state' | 'receipt'>,
  receipts: ReadonlyMap<string, Receipt>,
  fingerprints: ReadonlyMap<string, string>,
  now: number,
  /** Where each backend puts files now (fingerprint.ts backendLocation). */
  locations?: ReadonlyMap<string, string>,
): { state: TransferState; receipt: Receipt | undefined } {
  const receipt = receipts.get(
    receiptKey({
      jobId: transfer.jobId,
      artifactPath: transfer.artifact.path,
      destination: transfer.destination,
      sha256: transfer.sha256,
    }),
  );
  // Receipts of earlier versions (the job was processed again) stay theirs: this version is sent.
  if (!receipt) return { state: 'due', receipt };
  // Delivered to the place its backend wrote to then: a backend moved since (another root, host, bucket or
  // remote) has it sent to its new place, under the path it held (same content there counts as delivered).
  if (receipt.status === 'delivered') {
    const here = locations?.get(transfer.backend);
    const moved = receipt.location !== undefined && here !== undefined && receipt.location !== here;
    return { state: moved ? 'due' : 'delivered', receipt };
  }
  // A final failure stands until the backend's configuration changes or `imk sync retry`.
  if (receipt.final)
    return {
      state: receipt.backendFingerprint === fingerprints.get(transfer.backend) ? 'failed' : 'due',
      receipt,
    };
  if (receipt.nextAttemptAt !== undefined && receipt.nextAttemptAt > now)
    return { state: 'waiting', receipt };
  return { state: 'due', receipt };
}

/** Orders transfers round-robin over backends, so one busy or dead destination does not hold up the others. */
export function interleave(transfers: PlannedTransfer[]): PlannedTransfer[] {
  const byBackend = new Map<string, PlannedTransfer[]>();
  for (const transfer of transfers)
    byBackend.set(transfer.backend, [...(byBackend.get(transfer.backend) ?? []), transfer]);
  const queues = [...byBackend.values()];
  const out: PlannedTransfer[] = [];
  for (let i = 0; out.length < transfers.length; i++)
    for (const queue of queues) {
      const transfer = queue[i];
      if (transfer) out.push(transfer);
    }
  return out;
}
