import { lstat, readdir, rm } from 'node:fs/promises';
import { sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isAbsentErrno } from '@imk/errors';
import type { Logger } from '@imk/log';
import { fileSystemNow } from '@imk/fs-safe';
import { CLOCK_CHECK_PREFIX, READY_PREFIX, TMP_SUFFIX } from './names.ts';

/**
 * Removes `job_<id>.tmp/` folders that a producer abandoned. A folder is abandoned when its content
 * (names, sizes, mtimes) has not changed for maxAgeMs on this process's own clock, or, so that a consumer
 * that just started can still sweep old leftovers, when its newest mtime is older than twice maxAgeMs by
 * the clock that stamped it (the file system's: see fileSystemNow), never by this host's clock.
 */
export class TmpSweeper {
  private readonly seen = new Map<string, { signature: string; since: number }>();

  constructor(
    private readonly queueDir: string,
    private readonly maxAgeMs: number,
    private readonly logger: Logger | undefined,
  ) {}

  async sweep(): Promise<number> {
    // Names as bytes: a .tmp folder whose name is not UTF-8 (a producer on an old Windows share) is listed
    // as a string with U+FFFD, a name that opens nothing, and was never removed. The bytes, read as Latin-1
    // (one character per byte), are the key; the folder is reached by its bytes.
    const names = (await listNameBytes(this.queueDir))
      .map((bytes) => ({ bytes, name: bytes.toString('latin1') }))
      .filter(({ name }) => name.startsWith(READY_PREFIX) && name.endsWith(TMP_SUFFIX));
    const present = new Set(names.map(({ name }) => name));
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    let removed = 0;
    let fsNow: number | undefined;
    for (const { bytes, name } of names) {
      const dir = Buffer.concat([Buffer.from(`${this.queueDir}${sep}`), bytes]);
      const snapshot = await describeTree(dir);
      if (!snapshot) continue;
      const now = performance.now();
      const prior = this.seen.get(name);
      if (!prior || prior.signature !== snapshot.signature)
        this.seen.set(name, { signature: snapshot.signature, since: now });
      const unchangedMs = prior && prior.signature === snapshot.signature ? now - prior.since : 0;
      if (unchangedMs < this.maxAgeMs) {
        // The mtimes were stamped by the file server (or the producer's host): aged against "now" on that
        // clock, never this host's (a host two days ahead of it removed every .tmp a producer was writing).
        fsNow ??= await fileSystemNow(this.queueDir, CLOCK_CHECK_PREFIX);
        if (fsNow - snapshot.newestMtimeMs < 2 * this.maxAgeMs) continue;
      }
      await rm(dir, { recursive: true, force: true });
      this.seen.delete(name);
      removed++;
      this.logger?.warn(
        { dir: dir.toString(), unchanged_ms: Math.round(unchangedMs), files: snapshot.files },
        'removed an abandoned .tmp bundle (a producer stopped while publishing)',
      );
    }
    return removed;
  }
}

/** The names in `dir` as their bytes; none when it is not there. */
async function listNameBytes(dir: string): Promise<Buffer[]> {
  try {
    return await readdir(dir, { encoding: 'buffer' });
  } catch (error) {
    if (isAbsentErrno(error)) return [];
    throw error;
  }
}

async function describeTree(
  dir: Buffer,
): Promise<{ signature: string; newestMtimeMs: number; files: number } | undefined> {
  const parts: string[] = [];
  let newest = 0;
  let files = 0;
  const walk = async (path: Buffer, rel: string): Promise<void> => {
    // lstat: a link in a producer's folder is part of it as a link, never walked. With stat, a link to `/`
    // walked the host's whole file system at every sweep, one to a folder that keeps changing (a log
    // folder) made the .tmp look alive for ever, and a loop (`x -> .`) stopped the walk (ELOOP), so the
    // abandoned folder was never removed.
    const info = await lstat(path);
    newest = Math.max(newest, info.mtimeMs);
    parts.push(`${rel}:${info.size}:${info.mtimeMs}`);
    if (!info.isDirectory()) {
      files++;
      return;
    }
    for (const name of (await readdir(path, { encoding: 'buffer' })).sort((a, b) => Buffer.compare(a, b)))
      await walk(Buffer.concat([path, Buffer.from(sep), name]), `${rel}/${name.toString('latin1')}`);
  };
  try {
    await walk(dir, '');
  } catch {
    return undefined; // published or removed meanwhile
  }
  return { signature: parts.join('|'), newestMtimeMs: newest, files };
}
