import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { JOB_FILE } from '@imk/protocol';
import { readBundleState } from './bundle-state.ts';
import { parseReadyName } from './names.ts';

/** What a consumer remembers of one ready bundle. A ready bundle's job.json never changes, so it is read once. */
export interface Candidate {
  name: string;
  jobId: string;
  priority: number;
  /** The folder's mtime: when its last file was written, i.e. publish time, on the filesystem's clock. */
  publishedMs: number;
  /** ino and ctime tell whether the folder changed (a rename or a new file bumps ctime) since it was read. */
  ino: number;
  ctimeMs: number;
  /** Retry delay from imk-state.json, counted from firstSeen on this process's monotonic clock. */
  delayMs: number;
  firstSeen: number;
  dropped: boolean;
}

const LOAD_CONCURRENCY = 16;

/** Higher priority first, then older publish time, then name, so every consumer sees the same order. */
function compare(a: Candidate, b: Candidate): number {
  return (
    b.priority - a.priority ||
    a.publishedMs - b.publishedMs ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/**
 * The ready bundles of one queue in claim order, kept between claims: the periodic listing is the truth,
 * watcher hints add names sooner, and a claim drops every entry it tried.
 */
export class ReadyIndex {
  private readonly byName = new Map<string, Candidate>();
  private order: Candidate[] = [];
  private droppedCount = 0;
  private listedAt = Number.NEGATIVE_INFINITY;
  private readonly hints = new Set<string>();

  constructor(private readonly queueDir: string) {}

  /** A watcher saw this name appear. */
  hint(name: string): void {
    if (parseReadyName(name) !== undefined) this.hints.add(name);
  }

  /** Candidates remembered (not yet tried). */
  size(): number {
    return this.byName.size;
  }

  hasHints(): boolean {
    return this.hints.size > 0;
  }

  listingAgeMs(): number {
    return performance.now() - this.listedAt;
  }

  /** Lists the queue folder and brings the index in line with it. */
  async refresh(): Promise<void> {
    const names = await readdir(this.queueDir).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[];
      throw error;
    });
    this.listedAt = performance.now();
    this.hints.clear();
    const present = new Set<string>();
    const fresh: string[] = [];
    for (const name of names) {
      if (parseReadyName(name) === undefined) continue;
      present.add(name);
      if (!this.byName.has(name)) fresh.push(name);
    }
    for (const [name, candidate] of this.byName) {
      if (!present.has(name)) this.markDropped(candidate);
    }
    const added = await this.addAll(fresh);
    this.order = this.order.filter((candidate) => !candidate.dropped);
    this.order.push(...added);
    this.droppedCount = 0;
    this.order.sort(compare);
  }

  /** Adds hinted names without a full listing. */
  async mergeHints(): Promise<void> {
    const names = [...this.hints].filter((name) => !this.byName.has(name));
    this.hints.clear();
    const added = await this.addAll(names);
    for (const candidate of added) this.insertSorted(candidate);
  }

  /** Candidates in claim order (a snapshot; entries dropped meanwhile are skipped by the caller). */
  *candidates(): Generator<Candidate> {
    const order = this.order;
    for (const candidate of order) if (!candidate.dropped) yield candidate;
  }

  isDue(candidate: Candidate, now = performance.now()): boolean {
    return now - candidate.firstSeen >= candidate.delayMs;
  }

  /** Undefined when the folder is gone; a re-read entry when it changed since it was read. */
  async revalidate(candidate: Candidate): Promise<Candidate | undefined> {
    const info = await stat(join(this.queueDir, candidate.name)).catch(() => undefined);
    if (!info) {
      this.drop(candidate);
      return undefined;
    }
    if (info.ino === candidate.ino && info.ctimeMs === candidate.ctimeMs) return candidate;
    this.drop(candidate);
    const [reloaded] = await this.addAll([candidate.name]);
    if (reloaded) this.insertSorted(reloaded);
    return reloaded;
  }

  drop(candidate: Candidate): void {
    this.markDropped(candidate);
  }

  private markDropped(candidate: Candidate): void {
    if (this.byName.get(candidate.name) === candidate) this.byName.delete(candidate.name);
    if (candidate.dropped) return;
    candidate.dropped = true;
    this.droppedCount++;
    // Keep iteration cheap: compact once most of the array is dead entries.
    if (this.droppedCount > 256 && this.droppedCount * 2 > this.order.length) {
      this.order = this.order.filter((c) => !c.dropped);
      this.droppedCount = 0;
    }
  }

  private insertSorted(candidate: Candidate): void {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compare(this.order[mid]!, candidate) <= 0) low = mid + 1;
      else high = mid;
    }
    this.order.splice(low, 0, candidate);
  }

  private async addAll(names: string[]): Promise<Candidate[]> {
    const added: Candidate[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const name = names[next++]!;
        const candidate = await this.load(name);
        if (candidate && !this.byName.has(name)) {
          this.byName.set(name, candidate);
          added.push(candidate);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOAD_CONCURRENCY, names.length) }, worker));
    return added;
  }

  private async load(name: string): Promise<Candidate | undefined> {
    const jobId = parseReadyName(name);
    if (jobId === undefined) return undefined;
    const dir = join(this.queueDir, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) return undefined;
    const state = await readBundleState(dir);
    return {
      name,
      jobId,
      priority: await readPriority(dir),
      publishedMs: info.mtimeMs,
      ino: info.ino,
      ctimeMs: info.ctimeMs,
      delayMs: state.retry_delay_ms ?? 0,
      firstSeen: performance.now(),
      dropped: false,
    };
  }
}

/** options.priority from job.json; 0 when absent or unreadable (an invalid bundle is rejected on claim). */
async function readPriority(dir: string): Promise<number> {
  try {
    const job = JSON.parse(await readFile(join(dir, JOB_FILE), 'utf8')) as {
      options?: { priority?: unknown };
    };
    const priority = job.options?.priority;
    return typeof priority === 'number' && Number.isFinite(priority) ? priority : 0;
  } catch {
    return 0;
  }
}
