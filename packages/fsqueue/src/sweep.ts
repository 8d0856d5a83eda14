import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@imk/log';
import { fileSystemNow, listNamesOrEmpty } from '@imk/fs-safe';
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
    const names = (await listNamesOrEmpty(this.queueDir)).filter(
      (name) => name.startsWith(READY_PREFIX) && name.endsWith(TMP_SUFFIX),
    );
    const present = new Set(names);
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
    let removed = 0;
    let fsNow: number | undefined;
    for (const name of names) {
      const dir = join(this.queueDir, name);
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
        { dir, unchanged_ms: Math.round(unchangedMs), files: snapshot.files },
        'removed an abandoned .tmp bundle (a producer stopped while publishing)',
      );
    }
    return removed;
  }
}

async function describeTree(
  dir: string,
): Promise<{ signature: string; newestMtimeMs: number; files: number } | undefined> {
  const parts: string[] = [];
  let newest = 0;
  let files = 0;
  const walk = async (path: string, rel: string): Promise<void> => {
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
    for (const name of (await readdir(path)).sort()) await walk(join(path, name), `${rel}/${name}`);
  };
  try {
    await walk(dir, '');
  } catch {
    return undefined; // published or removed meanwhile
  }
  return { signature: parts.join('|'), newestMtimeMs: newest, files };
}
