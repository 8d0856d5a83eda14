import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  describeKind,
  listNamesOrEmpty,
  mayNotBeUtf8,
  parseUntrustedJson,
  readUntrustedText,
  renameNamesNotUtf8,
  type RenameLogger,
} from '@imk/fs-safe';
import { JOB_FILE, JOB_PRIORITY } from '@imk/protocol';
import { READY_PREFIX, TMP_SUFFIX, parseReadyName } from './names.ts';
import { badReadyName } from './quarantine.ts';
import { StrayBundles } from './stray-bundles.ts';

/** What a consumer remembers of one ready bundle. A ready bundle's job.json never changes, so it is read once. */
export interface Candidate {
  name: string;
  jobId: string;
  priority: number;
  /** The folder's mtime: when its last file was written, i.e. publish time, on the filesystem's clock. */
  publishedMs: number;
  /** A retry delay this process learned of (see noteRetryDelay), counted from firstSeen on its own clock. */
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
  private readonly delays = new Map<string, { key: string; delayMs: number; firstSeen: number }>();
  /** Entries that look like bundles but cannot be claimed (bad name, a link, not a folder), with why. */
  private readonly invalid = new Map<string, string>();

  /** Bundle folders at the top of the queue not named job_<id>: said once each (stray-bundles.ts). */
  private readonly strays: StrayBundles;

  constructor(
    private readonly queueDir: string,
    private readonly logger?: RenameLogger,
  ) {
    this.strays = new StrayBundles(queueDir, logger);
  }

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
    let names = await listNamesOrEmpty(this.queueDir);
    // A bundle folder whose name is not UTF-8 (a script on an old Windows share made `job_caf\xe9`) is listed
    // with U+FFFD, a name that opens nothing: it sat in the queue for ever, never claimed nor rejected. It
    // is given its Windows-1252 reading (`job_café`), as drop folders do, then claimed (or rejected with a
    // reason) like any bundle. A producer's `.tmp` folder is its own until published, so it is left alone.
    const looksReady = (name: string) => name.startsWith(READY_PREFIX) && !name.endsWith(TMP_SUFFIX);
    if (names.some((name) => looksReady(name) && mayNotBeUtf8(name))) {
      const renamed = await renameNamesNotUtf8(this.queueDir, this.logger, { only: isReadyNameBytes });
      if (renamed.length > 0) names = await listNamesOrEmpty(this.queueDir);
    }
    await this.strays.look(names);
    this.listedAt = performance.now();
    this.hints.clear();
    const present = new Set<string>();
    const fresh: string[] = [];
    for (const name of names) {
      const bad = badReadyName(name);
      if (bad !== undefined) this.invalid.set(name, bad);
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

  noteInvalid(name: string, problem: string): void {
    this.invalid.set(name, problem);
  }

  /** Takes the entries found since the last call that cannot be bundles, with the reason for each. */
  takeInvalid(): Map<string, string> {
    const found = new Map(this.invalid);
    this.invalid.clear();
    return found;
  }

  /** Candidates in claim order (a snapshot; entries dropped meanwhile are skipped by the caller). */
  *candidates(): Generator<Candidate> {
    const order = this.order;
    for (const candidate of order) if (!candidate.dropped) yield candidate;
  }

  isDue(candidate: Candidate, now = performance.now()): boolean {
    return now - candidate.firstSeen >= candidate.delayMs;
  }

  /**
   * Records that a job's imk-state.json asks for a retry delay, and returns when this process first learned
   * of that delay for that release (`key`, see delayKey: the attempt count and, for a wait, its since and looks) on
   * its own monotonic clock. Keyed by the attempt count alone, a second host that had seen one look of a
   * waiting job found every later look's delay already over and looked again at once.
   */
  noteRetryDelay(jobId: string, key: string, delayMs: number): number {
    const known = this.delays.get(jobId);
    if (known && known.key === key) return known.firstSeen;
    const firstSeen = performance.now();
    this.delays.set(jobId, { key, delayMs, firstSeen });
    return firstSeen;
  }

  forgetRetryDelay(jobId: string): void {
    this.delays.delete(jobId);
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
    // lstat: a bundle folder that is a link is never followed (the worker would write into its target).
    const info = await lstat(dir).catch(() => undefined);
    if (!info) return undefined;
    if (!info.isDirectory()) {
      this.invalid.set(
        name,
        info.isSymbolicLink()
          ? `${name} is a symbolic link, not a bundle folder; links are not followed`
          : `${name} is ${describeKind(info)}, not a bundle folder`,
      );
      return undefined;
    }
    // imk-state.json is not read here (one file per job per consumer would cost more than the claim);
    // a retry delay is learned after claiming, and the job given back until it is due.
    const delay = this.delays.get(jobId);
    return {
      name,
      jobId,
      priority: await readPriority(dir),
      publishedMs: info.mtimeMs,
      delayMs: delay?.delayMs ?? 0,
      firstSeen: delay?.firstSeen ?? performance.now(),
      dropped: false,
    };
  }
}

/** Whether a name's bytes are those of a ready bundle folder (`job_…`, not a producer's `job_….tmp`). */
function isReadyNameBytes(name: Buffer): boolean {
  return (
    name.subarray(0, READY_PREFIX.length).toString('latin1') === READY_PREFIX &&
    !name.toString('latin1').endsWith(TMP_SUFFIX)
  );
}

/** Largest job.json read for its priority (the claim reads it again with the bundle's own limit). */
const PRIORITY_READ_MAX = 1 << 20;

/** options.priority from job.json; JOB_PRIORITY.default when absent or unreadable (an invalid bundle is rejected on claim). */
async function readPriority(dir: string): Promise<number> {
  try {
    // The untrusted-file door: a FIFO or a link to /dev/zero as job.json is refused, never read.
    const text = await readUntrustedText(join(dir, JOB_FILE), {
      maxBytes: PRIORITY_READ_MAX,
      name: JOB_FILE,
    });
    const job = parseUntrustedJson(text, { name: JOB_FILE }) as { options?: { priority?: unknown } } | null;
    const priority = job?.options?.priority;
    return typeof priority === 'number' && Number.isFinite(priority) ? priority : JOB_PRIORITY.default;
  } catch {
    return 0;
  }
}
