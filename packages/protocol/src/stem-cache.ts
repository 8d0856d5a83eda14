import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage, isImkError } from '@imk/errors';
import { assertRealFolder, readUntrustedJson } from '@imk/fs-safe';
import { STEM_NAMES, type StemName } from './common.ts';

/**
 * The stem cache's layout, shared by the worker (which writes it) and the web page's mixer (which reads
 * it): `<dir>/<key>/{vocals,drums,bass,other}.wav` plus `meta.json`, written last. The key is the sha256
 * of the input's sha256 and the engine (name, version, params), so a job's manifest names its entry.
 */
export const STEM_CACHE_META_FILE = 'meta.json';

/** What every scratch folder of the cache starts with: an engine's work folder, an entry being removed. */
const STEM_CACHE_TEMP_PREFIX = '.tmp-';

/** An engine's work folder inside the cache (so the final rename stays on one filesystem). */
export function stemCacheWorkName(key: string, nonce: string): string {
  return `${STEM_CACHE_TEMP_PREFIX}${key.slice(0, 16)}-${nonce}`;
}

/** The name a damaged entry is renamed to before it is removed, so no reader sees it half-deleted. */
export function stemCacheDoomedName(nonce: string): string {
  return `${STEM_CACHE_TEMP_PREFIX}removed-${nonce}`;
}

/** Whether a name in the cache folder is one of its entries (a key: 64 lowercase hex characters). */
export function isStemCacheEntryName(name: string): boolean {
  return /^[0-9a-f]{64}$/.test(name);
}

/** Whether a name in the cache folder is one of its scratch folders (work or removal in progress). */
export function isStemCacheTempName(name: string): boolean {
  return /^\.tmp-(removed-[0-9a-f]+|[0-9a-f]{1,16}-[0-9a-f]+)$/.test(name);
}

/** What decides the stems: the input's bytes and the engine that separated them. */
export interface StemCacheKeyInput {
  inputSha256: string;
  engine: { name: string; version: string; params: Record<string, unknown> };
}

/** JSON with object keys sorted at every level, so equal parameters give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function stemCacheKey(input: StemCacheKeyInput): string {
  return createHash('sha256')
    .update(canonicalJson({ input: input.inputSha256, engine: input.engine }))
    .digest('hex');
}

/**
 * The key of the same stems by the audio the engine read (the decoded mixture's sha256), not by the file it
 * was decoded from: two files that decode to the same samples (an audio-only download and a video whose
 * soundtrack is the same encode, the two halves of a song fetched in mode "both") have the same stems, and
 * the second finds them under this key. The entry there is the first's, its stems hard links of it.
 */
export function stemCacheAudioKey(input: {
  audioSha256: string;
  engine: StemCacheKeyInput['engine'];
}): string {
  return createHash('sha256')
    .update(canonicalJson({ audio: input.audioSha256, engine: input.engine }))
    .digest('hex');
}

/** The file one stem is kept in, inside an entry (and an engine's work folder before it is stored). */
export function stemCacheFileName(stem: StemName): string {
  return `${stem}.wav`;
}

/** The files of one cache entry. */
export function stemCacheEntry(
  dir: string,
  key: string,
): { dir: string; meta: string; stems: Record<StemName, string> } {
  const entry = join(dir, key);
  return {
    dir: entry,
    meta: join(entry, STEM_CACHE_META_FILE),
    stems: Object.fromEntries(
      STEM_NAMES.map((stem) => [stem, join(entry, stemCacheFileName(stem))]),
    ) as Record<StemName, string>,
  };
}

/** What meta.json records of an entry (written last, by the worker): what a reader needs of it. */
const StemCacheMetaSchema = z.looseObject({
  sample_rate: z.number().int().positive(),
  frames: z.number().int().nonnegative(),
  bytes: z.record(z.string(), z.number()),
  /** null stands for -Infinity (a perfect null), which JSON cannot hold. */
  null_residual_db: z.number().nullable().optional(),
  /**
   * What ffmpeg printed decoding the input when the stems were made (damaged packets it skipped; [] when
   * nothing): a job whose stems come from the cache quotes them without decoding the input again. Absent
   * from an entry written before imk recorded them. The input is named in them as STEM_CACHE_INPUT.
   */
  decode_errors: z.array(z.string()).optional(),
});

/**
 * How an entry's decode_errors name the input: ffmpeg names the file it decodes by its path (inside the
 * claimed bundle of the job that separated it), which a later job's manifest must not quote. The entry
 * keeps this in its place, and a job quoting the lines puts its own input's name back.
 */
export const STEM_CACHE_INPUT = '<input>';

/** ffmpeg's lines as an entry keeps them: the input's path, as ffmpeg was given it, said as STEM_CACHE_INPUT. */
export function decodeErrorsForEntry(lines: readonly string[], inputPath: string): string[] {
  return lines.map((line) => (inputPath === '' ? line : line.split(inputPath).join(STEM_CACHE_INPUT)));
}

/** An entry's decode_errors as a job quotes them: its own input's name where they say the input. */
export function decodeErrorsNaming(lines: readonly string[], inputName: string): string[] {
  return lines.map((line) => line.split(STEM_CACHE_INPUT).join(inputName));
}
export type StemCacheMeta = z.infer<typeof StemCacheMetaSchema>;

/** Largest meta.json read (a few hundred bytes when the worker wrote it). */
const META_MAX_BYTES = 64 * 1024;

export type StemCacheRead =
  | { ok: true; dir: string; meta: StemCacheMeta; stems: Record<StemName, string> }
  /** No entry (never stored, or removed): `problem` is unset. Damaged: it says what is wrong. */
  | { ok: false; dir: string; problem?: string };

/**
 * One entry of the stem cache, the one way every reader (the worker, the dashboard's mixer) opens it:
 * complete when it is a real folder (not a link), meta.json is the cache's and every stem is a regular file of the size it records.
 */
export async function readStemCacheEntry(dir: string, key: string): Promise<StemCacheRead> {
  const entry = stemCacheEntry(dir, key);
  let json: unknown;
  try {
    // The entry is a folder the worker renamed in, never a link: a link would lead out of the cache (to
    // stems anyone could have put anywhere), and meta.json and the stems are only checked below it.
    await assertRealFolder(entry.dir, `stem cache entry ${key}`);
    json = await readUntrustedJson(entry.meta, { name: STEM_CACHE_META_FILE, maxBytes: META_MAX_BYTES });
  } catch (error) {
    if (isImkError(error, 'FILE_MISSING')) return { ok: false, dir: entry.dir };
    return { ok: false, dir: entry.dir, problem: `meta.json cannot be read (${errorMessage(error)})` };
  }
  const parsed = StemCacheMetaSchema.safeParse(json);
  if (!parsed.success) return { ok: false, dir: entry.dir, problem: "meta.json is not a stem cache entry's" };
  for (const stem of STEM_NAMES) {
    const info = await lstat(entry.stems[stem]).catch(() => undefined);
    if (!info?.isFile() || info.size !== parsed.data.bytes[stem])
      return {
        ok: false,
        dir: entry.dir,
        problem: `${stem}.wav is missing or not the size meta.json records`,
      };
  }
  return { ok: true, dir: entry.dir, meta: parsed.data, stems: entry.stems };
}

/**
 * The stem files of a published manifest's input and engine, when its cache entry is complete (meta.json
 * and every stem a regular file of the size it records); undefined when the entry was cleaned up.
 */
export async function findCachedStems(
  dir: string,
  manifest: { input: { sha256: string }; engine?: StemCacheKeyInput['engine'] },
): Promise<Record<StemName, string> | undefined> {
  if (manifest.engine === undefined) return undefined;
  const read = await readStemCacheEntry(
    dir,
    stemCacheKey({ inputSha256: manifest.input.sha256, engine: manifest.engine }),
  );
  return read.ok ? read.stems : undefined;
}
