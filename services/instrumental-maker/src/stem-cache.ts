import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { fsyncTree, writeJsonAtomic } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import {
  STEM_CACHE_META_FILE,
  STEM_NAMES,
  canonicalJson,
  decodeErrorsForEntry,
  readStemCacheEntry,
  stemCacheFileName,
  stemCacheDoomedName,
  stemCacheKey,
  stemCacheWorkName,
  type StemCacheKeyInput,
} from '@imk/protocol';
import type { SeparationResult } from '@imk/separation';
import './errors.ts';

export { canonicalJson, stemCacheKey, type StemCacheKeyInput };

export interface CachedStems extends SeparationResult {
  key: string;
  dir: string;
  /** Mixture minus the sum of the stems, dB relative to the mixture, measured when they were stored. */
  nullResidualDb?: number;
  /**
   * What ffmpeg printed decoding the input when the stems were made ([] when nothing), the input said as
   * STEM_CACHE_INPUT (decodeErrorsNaming puts a job's own input name back); undefined for an entry stored
   * before they were recorded (recordDecodeErrors adds them).
   */
  decodeErrors?: string[];
}

/** What is known of the input when its stems are stored, kept with them for a later hit. */
export type StoredFacts = {
  /** Mixture minus the sum of the stems, dB relative to the mixture. */
  nullResidualDb?: number;
  /** The sha256 of the decoded mixture the engine read (stemCacheAudioKey's). */
  audioSha256?: string;
} & (
  | { decodeErrors?: undefined }
  | {
      /** What ffmpeg printed decoding the input ([] when nothing): a hit quotes it without decoding again. */
      decodeErrors: readonly string[];
      /**
       * The input's path as ffmpeg was given it: another job's hit must not quote it, so the entry keeps
       * STEM_CACHE_INPUT in its place.
       */
      inputPath: string;
    }
);

interface CacheMeta {
  key: string;
  input_sha256: string;
  engine: StemCacheKeyInput['engine'];
  sample_rate: number;
  frames: number;
  bytes: Record<string, number>;
  /** null stands for -Infinity (a perfect null), which JSON cannot hold. */
  null_residual_db?: number | null;
  decode_errors?: string[];
  /** The decoded mixture's sha256: the entry is also under stemCacheAudioKey of it (absent before). */
  audio_sha256?: string;
  created_at: string;
}

const META_FILE = STEM_CACHE_META_FILE;

export interface StemCache {
  readonly dir: string;
  /** The cached stems for `key`, or undefined. A damaged entry is removed and reported as a miss. */
  lookup(key: string): Promise<CachedStems | undefined>;
  /** A fresh folder (inside the cache, so the final rename stays on one filesystem) for an engine to write into. */
  workDir(key: string): Promise<string>;
  /**
   * Moves the engine's stems into the cache under `key` (one rename of a complete folder, meta.json
   * written last). When another worker stored the same key meanwhile, theirs is kept and returned.
   */
  store(
    key: string,
    input: StemCacheKeyInput,
    result: SeparationResult,
    workDir: string,
    facts?: StoredFacts,
  ): Promise<CachedStems>;
  /**
   * Adds what ffmpeg printed decoding the input to an entry stored before imk recorded it, so that only its
   * first hit decodes the input again, `inputPath` (as ffmpeg was given it) said as STEM_CACHE_INPUT in
   * them. Nothing happens when the entry has gone meanwhile.
   */
  recordDecodeErrors(key: string, lines: readonly string[], inputPath: string): Promise<void>;
  /** Removes a work folder that will not be stored (the engine failed). */
  discard(workDir: string): Promise<void>;
  /**
   * The entry `key` under a second key, `alias`, too: its stems hard links of the entry's (no second copy on
   * disk), its meta.json its own (the input it is the stems of, what ffmpeg said decoding that input, not
   * the first's words). An entry already under `alias` is kept. Says `gone` when there is no entry `key`,
   * `no hard links` when the cache's file system makes none (nothing is copied).
   */
  alias(
    key: string,
    alias: string,
    input: StemCacheKeyInput,
    facts?: StoredFacts,
  ): Promise<'kept' | 'gone' | 'no hard links'>;
  /**
   * Runs `work` with no other run for the same `key` in this worker at the same time: a job about to
   * separate the audio another job of this worker is separating waits for it (said through `onWait`, with
   * that job's id), then finds its stems in the cache; when that job failed or was stopped, it separates
   * them itself. The wait ends with ABORTED as soon as `signal` is aborted.
   */
  exclusive<T>(
    key: string,
    holder: string,
    signal: AbortSignal,
    work: () => Promise<T>,
    onWait?: (holder: string) => void,
  ): Promise<T>;
}

/** Errors of a link(2) refused by the file system itself (an SMB share, FAT): no alias, the job goes on. */
const LINK_REFUSED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

/**
 * Stems cached by (input sha256, engine name, version, params): `<dir>/<key>/{vocals,drums,bass,other}.wav`
 * plus meta.json. A hit never runs the engine. Entries are touched on use so that age-based cleanup
 * (`imk cleanup`) removes the least recently used first.
 */
export function createStemCache(options: { dir: string; logger?: Logger }): StemCache {
  const { dir, logger } = options;

  async function lookup(key: string): Promise<CachedStems | undefined> {
    // The one reader of an entry (@imk/protocol), the mixer's too: a damaged entry is a miss for both.
    const read = await readStemCacheEntry(dir, key);
    if (!read.ok) {
      if (read.problem === undefined) return undefined;
      logger?.warn({ key, problem: read.problem }, 'stem cache entry damaged; separating again');
      await remove(read.dir);
      return undefined;
    }
    const { meta, stems } = read;
    const now = new Date();
    await utimes(read.dir, now, now).catch(() => undefined);
    const found: CachedStems = {
      key,
      dir: read.dir,
      stems,
      sampleRate: meta.sample_rate,
      frames: meta.frames,
    };
    if (meta.null_residual_db !== undefined) found.nullResidualDb = meta.null_residual_db ?? -Infinity;
    if (meta.decode_errors !== undefined) found.decodeErrors = meta.decode_errors;
    return found;
  }

  async function workDir(key: string): Promise<string> {
    const work = join(dir, stemCacheWorkName(key, randomBytes(4).toString('hex')));
    await mkdir(work, { recursive: true });
    return work;
  }

  /** A complete work folder renamed into place as `key`; one stored meanwhile by another worker is kept. */
  async function place(work: string, key: string): Promise<void> {
    try {
      await rename(work, join(dir, key));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(work, { recursive: true, force: true });
    }
  }

  const running = new Map<string, { holder: string; done: Promise<void> }>();

  async function remove(entry: string): Promise<void> {
    // Renamed first so a reader never sees a half-deleted entry.
    const doomed = join(dir, stemCacheDoomedName(randomBytes(4).toString('hex')));
    await rename(entry, doomed).catch(() => undefined);
    await rm(doomed, { recursive: true, force: true });
  }

  return {
    dir,
    lookup,
    workDir,
    async store(key, input, result, workDir, facts = {}) {
      const { nullResidualDb } = facts;
      const bytes: Record<string, number> = {};
      for (const stem of STEM_NAMES) {
        const target = join(workDir, stemCacheFileName(stem));
        if (result.stems[stem] !== target) await rename(result.stems[stem], target);
        bytes[stem] = (await stat(target)).size;
      }
      const meta: CacheMeta = {
        key,
        input_sha256: input.inputSha256,
        engine: input.engine,
        sample_rate: result.sampleRate,
        frames: result.frames,
        bytes,
        ...(nullResidualDb !== undefined && {
          null_residual_db: Number.isFinite(nullResidualDb) ? nullResidualDb : null,
        }),
        ...(facts.decodeErrors !== undefined && {
          decode_errors: decodeErrorsForEntry(facts.decodeErrors, facts.inputPath),
        }),
        ...(facts.audioSha256 !== undefined && { audio_sha256: facts.audioSha256 }),
        created_at: new Date().toISOString(),
      };
      await fsyncTree(workDir);
      await writeJsonAtomic(join(workDir, META_FILE), meta);
      await place(workDir, key);
      const stored = await lookup(key);
      if (!stored) throw new Error(`stem cache entry ${key} vanished right after it was stored in ${dir}`);
      return stored;
    },
    async recordDecodeErrors(key, lines, inputPath) {
      const read = await readStemCacheEntry(dir, key);
      if (!read.ok || read.meta.decode_errors !== undefined) return;
      // meta.json replaced whole (written beside it, renamed over it): a reader sees the old or the new.
      await writeJsonAtomic(join(read.dir, META_FILE), {
        ...read.meta,
        decode_errors: decodeErrorsForEntry(lines, inputPath),
      });
    },
    async discard(workDir) {
      await rm(workDir, { recursive: true, force: true });
    },
    async alias(key, alias, input, facts = {}) {
      const read = await readStemCacheEntry(dir, key);
      if (!read.ok) return 'gone';
      if ((await readStemCacheEntry(dir, alias)).ok) return 'kept';
      const work = await workDir(alias);
      try {
        for (const stem of STEM_NAMES) await link(read.stems[stem], join(work, stemCacheFileName(stem)));
      } catch (error) {
        await rm(work, { recursive: true, force: true });
        if (LINK_REFUSED.has((error as NodeJS.ErrnoException).code ?? '')) return 'no hard links';
        throw error;
      }
      // The first input's words on its decode are not this input's: this one's, or none (a hit adds them).
      const { decode_errors: _theirs, ...meta } = read.meta;
      await writeJsonAtomic(join(work, META_FILE), {
        ...meta,
        key: alias,
        input_sha256: input.inputSha256,
        engine: input.engine,
        ...(facts.decodeErrors !== undefined && {
          decode_errors: decodeErrorsForEntry(facts.decodeErrors, facts.inputPath),
        }),
        created_at: new Date().toISOString(),
      });
      await place(work, alias);
      return 'kept';
    },
    async exclusive(key, holder, signal, work, onWait) {
      for (let held = running.get(key); held !== undefined; held = running.get(key)) {
        onWait?.(held.holder);
        await untilDone(held.done, signal, held.holder);
      }
      let release = (): void => undefined;
      running.set(key, { holder, done: new Promise<void>((resolve) => (release = resolve)) });
      try {
        return await work();
      } finally {
        running.delete(key);
        release();
      }
    },
  };
}

/** Resolves when `done` does, or rejects with ABORTED as soon as `signal` is aborted (the wait is given up). */
function untilDone(done: Promise<void>, signal: AbortSignal, holder: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new ImkError('ABORTED', `stopped waiting for job ${holder}, which separates the same audio`, {
          cause: signal.reason,
        }),
      );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void done.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
