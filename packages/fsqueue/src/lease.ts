import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readUntrustedText } from '@imk/fs-safe';
import { LEASE_FILE } from './names.ts';
import { isAbsentErrno } from '@imk/errors';

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
  const file = join(claimDir, LEASE_FILE);
  try {
    // Whatever a producer left under this name (a link, a FIFO) is removed, never written through.
    if (first) await rm(file, { force: true });
    await writeFile(file, leaseText(counter), { flag: first ? 'wx' : 'r+' });
    return true;
  } catch (error) {
    if (isAbsentErrno(error)) return false;
    throw error;
  }
}

/** Largest lease file read (a counter and a token, a few dozen bytes). */
const LEASE_FILE_MAX_BYTES = 4096;

/** The lease file's content as an opaque value: observers only compare it with what they saw before. */
export async function readLease(claimDir: string): Promise<string> {
  try {
    return await readUntrustedText(join(claimDir, LEASE_FILE), {
      maxBytes: LEASE_FILE_MAX_BYTES,
      name: LEASE_FILE,
    });
  } catch {
    return NO_LEASE;
  }
}
