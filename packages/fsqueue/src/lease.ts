import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEASE_FILE } from './names.ts';

// Fixed width, so that rewriting in place never leaves a longer old value behind.
const WIDTH = 20;
/** What an observer records for a claim folder that has no lease file (yet, or any more). */
export const NO_LEASE = 'missing';

function leaseText(counter: number): string {
  return `${String(counter).padStart(WIDTH, '0')}\n`;
}

/**
 * Writes the heartbeat counter. The first beat creates the file; later beats rewrite it in place ("r+"
 * never creates it). Either way, when the claim folder was renamed away by an observer that found the
 * lease expired, the open fails with ENOENT (the folder's name was unique to this claim): the claim is
 * lost. Returns false when lost.
 */
export async function beatLease(claimDir: string, counter: number, first: boolean): Promise<boolean> {
  try {
    await writeFile(join(claimDir, LEASE_FILE), leaseText(counter), { flag: first ? 'w' : 'r+' });
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}

/** The lease file's content as an opaque value: observers only compare it with what they saw before. */
export async function readLease(claimDir: string): Promise<string> {
  try {
    return await readFile(join(claimDir, LEASE_FILE), 'utf8');
  } catch {
    return NO_LEASE;
  }
}
