import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { serviceStatePaths } from '@imk/config';
import { readUntrustedTextIfThere, writeJsonAtomic } from '@imk/fs-safe';
import { isDestinationFault, type PassSummary } from '@imk/sync';
import { z } from 'zod';
import { SERVICE_NAME } from './config.ts';

/**
 * `state/nas-sync/destinations.json`: each route and destination whose last attempt failed for a reason a
 * person must fix (the catalogue's destinationFault: unreachable, not a folder, no permission, full). The
 * passes write it; the running service's health check reads it. This module is its one home.
 */
const FILE = 'destinations.json';

const FaultSchema = z.object({
  route: z.string(),
  backend: z.string(),
  code: z.string(),
  error: z.string(),
  /** When a pass first met it (ISO 8601). */
  at: z.string(),
});
export type DestinationFault = z.output<typeof FaultSchema>;
const FileSchema = z.object({ faults: z.array(FaultSchema) });

function faultsFile(stateDir: string): string {
  return join(serviceStatePaths(stateDir, SERVICE_NAME).dir, FILE);
}

/** Largest faults file read (a few hundred bytes per failing destination). */
const FAULTS_MAX_BYTES = 4 << 20;

/**
 * The faults recorded by the last passes; none when no pass wrote any, or the file is unreadable (read the
 * fs-safe way: a FIFO or a link put in its place is refused at once, never waited on).
 */
export async function readDestinationFaults(stateDir: string): Promise<DestinationFault[]> {
  const text = await readUntrustedTextIfThere(faultsFile(stateDir), { maxBytes: FAULTS_MAX_BYTES }).catch(
    () => undefined,
  );
  if (text === undefined) return [];
  try {
    return FileSchema.parse(JSON.parse(text)).faults;
  } catch {
    return [];
  }
}

const keyOf = (route: string, backend: string): string => `${route}\u0000${backend}`;

/**
 * Records what a pass says of each route and destination it tried: one that failed with a destination
 * fault is recorded (its last error); one that delivered, with no such fault, is cleared. One the pass did
 * not try (nothing new, or waiting for its backoff) keeps what an earlier pass said. Writes only on change.
 */
export async function recordDestinationFaults(stateDir: string, summary: PassSummary): Promise<void> {
  if (summary.dryRun) return;
  const before = await readDestinationFaults(stateDir);
  const faults = new Map(before.map((fault) => [keyOf(fault.route, fault.backend), fault]));
  const at = new Date().toISOString();
  const delivered = new Set<string>();
  const failed = new Map<string, DestinationFault>();
  for (const { transfer, status, errorCode, error } of summary.outcomes) {
    const key = keyOf(transfer.routeName, transfer.backend);
    if (status === 'delivered') delivered.add(key);
    else if (status === 'failed' && isDestinationFault(errorCode) && !failed.has(key)) {
      const earlier = faults.get(key);
      failed.set(key, {
        route: transfer.routeName,
        backend: transfer.backend,
        code: errorCode ?? '',
        error: error ?? errorCode ?? 'failed',
        at: earlier !== undefined && earlier.code === errorCode ? earlier.at : at,
      });
    }
  }
  for (const key of delivered) faults.delete(key);
  for (const [key, fault] of failed) faults.set(key, fault);
  const after = [...faults.values()];
  // Rewritten when what it says changes (not every pass): a fault kept says when it was first met.
  const said = (list: DestinationFault[]) => JSON.stringify(list.map(({ at: _at, ...rest }) => rest));
  if (said(before) === said(after)) return;
  await mkdir(dirname(faultsFile(stateDir)), { recursive: true });
  await writeJsonAtomic(faultsFile(stateDir), { faults: after });
}
