import { randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { fileSystemNow, listNamesOrEmpty, readUntrustedText, writeJsonAtomic } from '@imk/fs-safe';
import { NotifyEventSchema, type NotifyEvent } from './events.ts';
import { CLOCK_CHECK_PREFIX, notifyDir, outboxDir, sendingDir } from './store.ts';
import { isAbsentErrno } from '@imk/errors';

/** One event still to be delivered, and to which targets (a delivered or given-up target is removed). */
export const OutboxEntrySchema = z.object({
  event: NotifyEventSchema,
  deliveries: z.array(
    z.object({
      target: z.string(),
      /** Tries so far. */
      attempts: z.number().int().min(0),
      /**
       * Not before this time: ms since the epoch on the clock of the file system state/ is on (outboxClock),
       * which every host sharing the outbox reads alike; 0 for a first try (due at once).
       */
      next_at: z.number(),
    }),
  ),
});
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

/** A claim older than this belongs to a process that died mid-send: the entry goes back to the outbox. */
export const STALE_CLAIM_MS = 10 * 60_000;

/**
 * "Now" on the clock of the file system `state/` is on: the mtime of a private folder made in
 * `state/notify/` and removed at once. Retry times and claim ages are measured on it, never on a host's
 * own clock: with `state/` on a file server, several hosts share one outbox. Where it cannot be made (a
 * state folder this process cannot write to, where it can send nothing either), this host's clock.
 */
export function outboxClock(stateDir: string): Promise<number> {
  return fileSystemNow(notifyDir(stateDir), CLOCK_CHECK_PREFIX).catch(() => Date.now());
}

const fileOf = (event: NotifyEvent): string => `${event.id}.json`;

/** Puts an entry in the outbox, whole or not at all (temp file, fsync, rename). */
export async function putEntry(stateDir: string, entry: OutboxEntry): Promise<void> {
  await mkdir(outboxDir(stateDir), { recursive: true });
  await writeJsonAtomic(join(outboxDir(stateDir), fileOf(entry.event)), entry);
}

/** The outbox's entries by file name, oldest first (ids start with the time). Unreadable ones are returned as errors. */
export async function listEntries(
  stateDir: string,
): Promise<{ name: string; entry?: OutboxEntry; problem?: string }[]> {
  const names = (await listNamesOrEmpty(outboxDir(stateDir))).filter((n) => n.endsWith('.json')).sort();
  const out: { name: string; entry?: OutboxEntry; problem?: string }[] = [];
  for (const name of names) {
    try {
      const parsed = OutboxEntrySchema.safeParse(
        JSON.parse(await readEntry(join(outboxDir(stateDir), name))),
      );
      out.push(parsed.success ? { name, entry: parsed.data } : { name, problem: parsed.error.message });
    } catch (error) {
      // Taken by another process between the listing and the read: not ours to report.
      if ((error as NodeJS.ErrnoException).code === 'FILE_MISSING') continue;
      out.push({ name, problem: (error as Error).message });
    }
  }
  return out;
}

/**
 * Takes an entry for sending by renaming it into `sending/` under a name unique to this process. Returns
 * the claimed path, or undefined when another process took it first.
 */
export async function claimEntry(stateDir: string, name: string): Promise<string | undefined> {
  await mkdir(sendingDir(stateDir), { recursive: true });
  const claimed = join(
    sendingDir(stateDir),
    `${name.replace(/\.json$/, '')}.${process.pid}-${randomBytes(3).toString('hex')}.claim`,
  );
  const from = join(outboxDir(stateDir), name);
  try {
    // A rename keeps the file's mtime, which is when the entry was written (maybe hours ago, a retry
    // waiting its turn): the claim's age, which tells others it was abandoned, must start now. The age is
    // read from the change time, which this utimes sets on the file system's clock (see recoverStaleClaims).
    const now = new Date();
    await utimes(from, now, now);
    await rename(from, claimed);
    return claimed;
  } catch (error) {
    if (isAbsentErrno(error)) return undefined;
    throw error;
  }
}

/**
 * The entry as claimed. It is read again after the claim: between the listing and the claim another
 * process may have sent it and put back what was left, and the listing's copy would send those again.
 */
export async function readClaim(claimed: string): Promise<OutboxEntry> {
  return OutboxEntrySchema.parse(JSON.parse(await readEntry(claimed)));
}

/** Largest outbox entry read: an event and its deliveries are a few kilobytes. */
const ENTRY_MAX_BYTES = 1024 * 1024;

/**
 * An entry's text, through fs-safe: the state folder may hold a FIFO, a link or a huge file in its place
 * (a restore, another user, a mistake), which a plain read would wait on forever, follow or load whole.
 * Refused with an error naming the file and why: by its folder and its name (`outbox/<id>.json`,
 * `sending/<claim>`, fs-safe's shortName), as every reader of fs-safe names a file, never by the host's
 * absolute path (which said where state/ lives in every log line and notification status).
 */
function readEntry(file: string): Promise<string> {
  return readUntrustedText(file, { maxBytes: ENTRY_MAX_BYTES });
}

/**
 * A claim's file name is `<event id>.<holder>.claim`; once targets are settled (reached, given up or
 * dropped) it becomes `<event id>.<holder>.s<hex>.claim`, bit i set for the claim's i-th delivery. Progress is
 * recorded by renaming, not by writing the claim again: a rename needs no free space, so a full disk (the
 * usual reason a write fails here) cannot stop it, and the claim's text stays as it was read.
 */
const CLAIM_NAME = /^(?<id>[^.]+)\.(?<holder>[^.]+)(?:\.s(?<settled>[0-9a-f]+))?\.claim$/;

function settledOf(name: string): { id: string; settled: Set<number> } | undefined {
  const groups = CLAIM_NAME.exec(name)?.groups;
  if (!groups?.id) return undefined;
  const settled = new Set<number>();
  let bits = BigInt(`0x${groups.settled ?? '0'}`);
  for (let index = 0; bits > 0n; index += 1, bits >>= 1n) if (bits & 1n) settled.add(index);
  return { id: groups.id, settled };
}

/**
 * Records that the claim's deliveries at these indices are settled, in the claim's name (see CLAIM_NAME),
 * and refreshes its age while a long entry is sent. Returns the claim's new path. A process that dies
 * mid-entry, or cannot write what is left, leaves a claim that is taken up again for the unsettled
 * targets only: a receiver it reached is never sent the event again.
 */
export async function markSettled(claimed: string, settled: ReadonlySet<number>): Promise<string> {
  const match = CLAIM_NAME.exec(basename(claimed))?.groups;
  if (!match?.id || !match.holder) throw new Error(`${claimed} is not a claim`);
  let bits = 0n;
  for (const index of settled) bits |= 1n << BigInt(index);
  const next = join(dirname(claimed), `${match.id}.${match.holder}.s${bits.toString(16)}.claim`);
  if (next !== claimed) await rename(claimed, next);
  const now = new Date();
  await utimes(next, now, now);
  return next;
}

/**
 * Keeps a claim fresh while a long entry is sent (a claim not touched for STALE_CLAIM_MS is taken over): the
 * utimes moves its change time, on the file system's clock.
 */
export async function touchClaim(claimed: string): Promise<void> {
  const now = new Date();
  await utimes(claimed, now, now).catch(() => undefined);
}

/** The claim's entry without the deliveries its name says are settled. */
export async function readClaimLeft(claimed: string): Promise<OutboxEntry> {
  const entry = await readClaim(claimed);
  const settled = settledOf(basename(claimed))?.settled ?? new Set<number>();
  return { ...entry, deliveries: entry.deliveries.filter((_, index) => !settled.has(index)) };
}

/** Ends a claim: what is left to deliver goes back to the outbox, then the claim is removed. */
export async function releaseEntry(stateDir: string, claimed: string, entry: OutboxEntry): Promise<void> {
  if (entry.deliveries.length > 0) await putEntry(stateDir, entry);
  await unlink(claimed).catch((error: unknown) => {
    if (!isAbsentErrno(error)) throw error;
  });
}

/** Moves an outbox file that is not an entry aside (`.invalid`), so it is reported once, not every pass. */
export async function setAside(stateDir: string, name: string): Promise<void> {
  await rename(join(outboxDir(stateDir), name), join(outboxDir(stateDir), `${name}.invalid`)).catch(
    () => undefined,
  );
}

/**
 * Returns claims left by a process that died mid-send (or could not write what was left, a full disk) to the
 * outbox, without the targets they had settled; they are sent again to the others. A claim whose entry
 * cannot be written back now stays, and is tried again at the next pass.
 */
export async function recoverStaleClaims(
  stateDir: string,
  now: () => number | Promise<number> = () => outboxClock(stateDir),
): Promise<number> {
  const names = (await listNamesOrEmpty(sendingDir(stateDir))).filter((n) => n.endsWith('.claim'));
  if (names.length === 0) return 0;
  // A claim's age is measured on one clock, the file system's: its change time (which the kernel, or the
  // file server for a shared state/, sets at each claim, settle and touch: utimes writes the caller's clock
  // into mtime, never into ctime) against "now" on the same clock (outboxClock). On this host's clock a host
  // ten minutes ahead of the file server took every claim of another process for abandoned and sent its
  // event again.
  const at = await now();
  let recovered = 0;
  for (const name of names) {
    const path = join(sendingDir(stateDir), name);
    const age = await stat(path).then(
      (s) => at - s.ctimeMs,
      () => 0,
    );
    if (age < STALE_CLAIM_MS) continue;
    const parsed = settledOf(name);
    if (!parsed) continue;
    const back = join(outboxDir(stateDir), `${parsed.id}.json`);
    try {
      // Nothing settled: the claim is the entry, put back by a rename (which a full disk does not stop).
      if (parsed.settled.size === 0) await rename(path, back);
      else {
        const left = await readClaimLeft(path);
        if (left.deliveries.length > 0) await putEntry(stateDir, left);
        await unlink(path);
      }
      recovered++;
    } catch {
      // Taken by another process meanwhile, or no room to write it back yet: the next pass tries again.
    }
  }
  return recovered;
}
