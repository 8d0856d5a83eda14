import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fsyncDir, fsyncTree, pathExists } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { JOB_FILE, SCHEMA_VERSION } from '@imk/protocol';
import { PRODUCER_FILE, readyName, tmpName } from './names.ts';
import { checkInputs, validate } from './publish-check.ts';
import { ensureNew, jobExists } from './publish-existing.ts';
import { addFile } from './publish-file.ts';
import { startTmp, writeSynced, writing } from './publish-tmp.ts';
import './errors.ts';

export { existingJob } from './publish-existing.ts';

/** A file to put in the bundle: copied (or moved) from `source`, or written from `data`. */
export type BundleFileInput =
  | {
      name: string;
      source: string;
      move?: boolean;
      /**
       * The folder someone else writes that `source` was found in (an inbox): the source is then opened the
       * untrusted way (fs-safe: no link followed at all, a regular file, the descriptor inside this folder)
       * and copied from that descriptor, never moved, so a file swapped for a link after the producer's
       * checks is refused, not copied into the bundle.
       */
      within?: string;
      /**
       * What the source was declared to be where it comes from (another bundle's files[] entry: "Separate
       * again" copies an archived bundle): the copy must hash to it, else nothing is published and
       * SOURCE_CHANGED says the file, both hashes and sizes. Checked on the copy itself, the bytes the
       * bundle holds, never on a second read of the source.
       */
      declared?: { sha256: string; bytes?: number };
    }
  | { name: string; data: string | Uint8Array };

export interface PublishBundleOptions {
  /** The queue folder, e.g. `<root>/queues/youtube_audio`; created if missing. */
  queueDir: string;
  /**
   * Written as job.json. `schema_version` (1) and `created_at` are filled when absent, and a `files` entry
   * (path, sha256, bytes) is added for every file given in `files`.
   */
  job: Record<string, unknown> & { job_id: string };
  /** Files to put in the bundle beside job.json. */
  files: BundleFileInput[];
  logger?: Logger;
}

export interface PublishedBundle {
  jobId: string;
  /** The ready folder `<queueDir>/job_<id>`. */
  dir: string;
}

/**
 * Publishes a job bundle: writes `job_<id>.tmp/`, copies or moves the files in, writes job.json, fsyncs
 * every file and the folder, then one rename to `job_<id>/` and an fsync of the queue folder. A consumer
 * sees the whole bundle or nothing. On any failure the `.tmp` folder it made is removed.
 */
export async function publishBundle(options: PublishBundleOptions): Promise<PublishedBundle> {
  const { queueDir, files } = options;
  const job: Record<string, unknown> = { ...options.job };
  job.schema_version ??= SCHEMA_VERSION;
  job.created_at ??= new Date().toISOString();
  checkInputs(job, files);
  const jobId = job.job_id as string;

  await mkdir(queueDir, { recursive: true });
  await ensureNew(queueDir, jobId);
  const tmp = join(queueDir, tmpName(jobId));
  await startTmp(tmp, jobId, options.logger);

  try {
    writing.add(tmp);
    await writeSynced(join(tmp, PRODUCER_FILE), JSON.stringify({ host: hostname(), pid: process.pid }));
    const entries = [];
    for (const file of files) entries.push(await addFile(tmp, file));
    const named = new Set(entries.map((entry) => entry.path));
    const declared = Array.isArray(job.files) ? (job.files as { path?: unknown }[]) : [];
    job.files = [...declared.filter((entry) => !named.has(entry.path as string)), ...entries];
    validate(job);
    await writeSynced(join(tmp, JOB_FILE), `${JSON.stringify(job, null, 2)}\n`);
    await unlink(join(tmp, PRODUCER_FILE));
    // The files were synced as they were written: only the folders are left.
    await fsyncTree(tmp, { files: false });
    const ready = join(queueDir, readyName(jobId));
    // rename() over an existing empty folder would replace it: refuse any existing target first.
    if (await pathExists(ready)) throw jobExists(queueDir, jobId, 'ready', ready);
    // Another queue's producer may have published this id while this one was copying.
    await ensureNew(queueDir, jobId);
    await rename(tmp, ready);
    await fsyncDir(queueDir);
    options.logger?.info({ job_id: jobId, queue: queueDir, files: entries.length }, 'bundle published');
    return { jobId, dir: ready };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  } finally {
    writing.delete(tmp);
  }
}
